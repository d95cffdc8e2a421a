"""The reconnecting serial worker on real pseudo-terminals: reconnecting, its backoff, stopping."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.pty_pair import PtyPair, open_pty_pair
from devices.serial_worker import CONNECTED, DISCONNECTED, Backoff, SerialWorker, Session
from devices.transport import Transport, TransportError, open_transport

WAIT = 20.0  # seconds: a bound for things that happen at once, never a measured time


class Events:
    """What the worker did, in order: ("state", s), ("delay", seconds), ("data", bytes)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []
        self._changed = threading.Condition()

    def add(self, kind: str, value: object) -> None:
        with self._changed:
            self.log.append((kind, value))
            self._changed.notify_all()

    def of(self, kind: str) -> list[object]:
        with self._changed:
            return [value for k, value in self.log if k == kind]

    def wait(self, kind: str, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.of(kind)) >= count, WAIT), self.log

    def reader(self) -> Session:
        """A session that records what the device sends until the worker stops."""

        def session(port: Transport, stopping: threading.Event) -> None:
            while not stopping.is_set():
                data = port.read_available(64, 0.05)
                if data:
                    self.add("data", data)

        return session


class RecordedBackoff(Backoff):
    """Short delays, each one recorded as the worker asks for it."""

    def __init__(self, events: Events) -> None:
        super().__init__(first=0.01, ceiling=0.04)
        self._events = events

    def delay(self, failures: int) -> float:
        delay = super().delay(failures)
        self._events.add("delay", delay)
        return delay


class Device:
    """A pty behind a fixed link, as udev names a USB device (plugged in or not), and the
    workers started on it, with what they did in `events`."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.events = Events()
        self._pair: PtyPair | None = None
        self._workers: list[SerialWorker] = []

    def plug(self) -> None:
        self._pair = open_pty_pair()
        fresh = self.link.with_name(f".{self.link.name}.new")
        fresh.symlink_to(self._pair.slave_path)
        os.replace(fresh, self.link)

    def unplug(self) -> None:
        """The pty closes and the link goes (else a new pty could take the old one's number)."""
        self.link.unlink(missing_ok=True)
        if self._pair is not None:
            self._pair.close()
            self._pair = None

    def send(self, data: bytes) -> None:
        assert self._pair is not None
        os.write(self._pair.master_fd, data)

    def worker(self, **options: object) -> SerialWorker:
        """A started worker on this device: it records what it does, unless told otherwise."""
        options.setdefault("session", self.events.reader())
        options.setdefault("backoff", RecordedBackoff(self.events))
        options.setdefault("on_state", lambda state: self.events.add("state", state))
        worker = SerialWorker(
            lambda: open_transport(str(self.link), baudrate=9600, device="test device"),
            name="test-device",
            label=f"test device {self.link}",
            **options,  # type: ignore[arg-type]
        )
        worker.start()
        self._workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self.unplug()


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    device = Device(tmp_path / "serial-device")
    yield device
    device.close()


def stop_takes(worker: SerialWorker) -> float:
    """Seconds that worker.stop() took."""
    started = time.monotonic()
    worker.stop()
    return time.monotonic() - started


def test_backoff_doubles_with_each_failure_up_to_its_ceiling() -> None:
    backoff = Backoff(0.25, 2.0)
    assert [backoff.delay(failures) for failures in range(6)] == [0.25, 0.5, 1, 2, 2, 2]
    assert backoff.delay(10**6) == 2.0  # unplugged for weeks
    with pytest.raises(ValueError):
        Backoff(3.0, 2.0)


def test_reconnects_after_the_pty_closes_and_a_new_one_appears(device: Device) -> None:
    device.plug()
    worker = device.worker()
    events = device.events
    events.wait("state", 1)
    device.send(b"one")
    events.wait("data", 1)
    device.unplug()
    events.wait("state", 2)
    assert worker.state == DISCONNECTED
    device.plug()
    events.wait("state", 3)
    device.send(b"two")
    events.wait("data", 2)
    assert events.of("state") == [CONNECTED, DISCONNECTED, CONNECTED]
    assert events.of("data") == [b"one", b"two"]
    assert worker.state == CONNECTED


def test_backoff_grows_while_the_port_is_missing_and_resets_once_it_opens(device: Device) -> None:
    device.worker()
    events = device.events
    events.wait("delay", 4)
    device.plug()
    events.wait("state", 2)
    delays = events.of("delay")
    assert delays[:4] == [0.01, 0.02, 0.04, 0.04]
    assert set(delays[4:]) <= {0.04}
    device.unplug()
    events.wait("state", 3)
    events.wait("delay", len(delays) + 2)
    after_loss = events.log[events.log.index(("state", CONNECTED)) + 1 :]
    assert after_loss[:3] == [("state", DISCONNECTED), ("delay", 0.01), ("delay", 0.02)]


def test_stop_returns_promptly_while_waiting_to_retry(device: Device) -> None:
    worker = device.worker(backoff=Backoff(60.0, 60.0))
    device.events.wait("state", 1)
    assert device.events.of("state") == [DISCONNECTED]
    assert stop_takes(worker) < 1.0


def test_stop_returns_promptly_from_a_session_and_is_not_a_disconnection(device: Device) -> None:
    device.plug()
    worker = device.worker()
    device.events.wait("state", 1)
    assert stop_takes(worker) < 1.0
    assert device.events.of("state") == [CONNECTED]
    assert worker.state == CONNECTED


def test_a_failing_session_or_state_callback_does_not_end_the_worker(
    device: Device, caplog: pytest.LogCaptureFixture
) -> None:
    device.plug()
    events = device.events
    failures = iter([RuntimeError("a bug in the driver")])
    record = events.reader()

    def session(port: Transport, stopping: threading.Event) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        record(port, stopping)

    def on_state(state: str) -> None:
        events.add("state", state)
        raise RuntimeError("a bug in the screen")

    device.worker(session=session, on_state=on_state)
    events.wait("state", 3)
    device.send(b"still read")
    events.wait("data", 1)
    assert "the session failed" in caplog.text and "state callback failed" in caplog.text


def test_logs_each_change_with_its_reason_where_told(
    device: Device, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tests.device")
    device.worker(logger=logging.getLogger("tests.device"))
    device.events.wait("state", 1)
    device.plug()
    device.events.wait("state", 2)
    assert f"test device {device.link}: disconnected (cannot open test device port" in caplog.text
    assert f"test device {device.link}: connected (port open)" in caplog.text


def test_read_available_returns_what_has_come_without_waiting_for_more(device: Device) -> None:
    device.plug()
    transport = open_transport(str(device.link), baudrate=9600)
    try:
        assert transport.read_available(64, 0.01) == b""
        device.send(b"12345")
        time.sleep(0.05)  # the pty hands the bytes over a moment later
        started = time.monotonic()
        assert transport.read_available(64, 5.0) == b"12345"
        assert time.monotonic() - started < 1.0
        device.send(b"abc")
        time.sleep(0.05)
        assert transport.read_available(2, 5.0) == b"ab"
    finally:
        transport.close()
    transport.close()  # a second close does nothing


def test_read_available_at_the_end_of_a_device_file_is_an_error(tmp_path: Path) -> None:
    """Else a session reading a file that has ended would spin instead of reopening it."""
    path = tmp_path / "device"
    path.write_bytes(b"12")
    transport = open_transport(str(path), baudrate=9600, device="keypad")
    try:
        assert transport.read_available(64, 1.0) == b"12"
        with pytest.raises(TransportError, match=r"keypad .* has ended"):
            transport.read_available(64, 1.0)
    finally:
        transport.close()
    transport.close()
