"""sd_notify messages reach a real unix datagram socket, as systemd would receive them; and the
watchdog for real: the lobby app as its own process under such a socket says READY=1, then
WATCHDOG=1 from its Kivy main loop; once that loop is frozen (a test hook:
tests/support/frozen_app.py) the pings stop while its worker threads still run (the printer's
status poller goes on asking the virtual printer), so systemd would restart it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.virtual_printer import VirtualPrinter
from kiosk import watchdog
from tests.support.device import device_config
from tests.support.frozen_app import FROZEN_STATUS

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0
WATCHDOG_USEC = 300_000  # a ping every 0.15 s
STATUS_POLL = bytes([0x10, 0x04, 0x01])  # DLE EOT 1: the first request of each status poll
POLLS_WHILE_FROZEN = 3


def test_notify_sends_to_the_systemd_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert watchdog.notify("READY=1")
        assert server.recv(64) == b"READY=1"


def test_notify_without_systemd_does_nothing(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert watchdog.notify("WATCHDOG=1") is False


def test_watchdog_interval_is_half_the_timeout_for_this_process(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog.watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert watchdog.watchdog_interval() is None


@pytest.fixture
def notify_socket() -> Iterator[socket.socket]:
    folder = tempfile.mkdtemp(prefix="notify-")  # short: a unix socket path has 107 bytes
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(os.path.join(folder, "notify"))
        yield sock
    os.unlink(os.path.join(folder, "notify"))
    os.rmdir(folder)


def messages_until(sock: socket.socket, wanted: str, deadline: float) -> list[str]:
    """The notify messages received up to and including `wanted`."""
    seen = []
    while wanted not in seen:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            seen.append(sock.recv(4096).decode())
        except TimeoutError:
            pytest.fail(f"no {wanted!r} from the app; it said {seen[-5:]}")
    return seen


def test_a_frozen_main_loop_stops_the_watchdog_pings_while_the_workers_run(tmp_path, notify_socket):
    printer = VirtualPrinter(tmp_path / "printed")
    printer.start()
    device_config(
        tmp_path,
        kiosk='[device]\nrole = "lobby"\n'  # provisioned: `kiosk run` starts the lobby
        f'[printer]\nurl = "{printer.device_path}"\nstatus_interval = 0.5\n'
        "[office]\nclosed_outside_hours = false\n",
    )
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notify_socket.getsockname(),
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "SDL_VIDEODRIVER": "offscreen",
    }
    env.pop("WATCHDOG_PID", None)
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.support.frozen_app", str(tmp_path / "etc")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        said = messages_until(notify_socket, "READY=1", deadline)
        while said.count("WATCHDOG=1") < 3:
            said += messages_until(notify_socket, "WATCHDOG=1", deadline)

        app.send_signal(signal.SIGUSR1)
        messages_until(notify_socket, FROZEN_STATUS, deadline)
        polled = printer.received.count(STATUS_POLL)
        while printer.received.count(STATUS_POLL) < polled + POLLS_WHILE_FROZEN:
            assert time.monotonic() < deadline, "the printer's poller stopped too"
            time.sleep(0.05)
        notify_socket.setblocking(False)
        after = []
        while True:
            try:
                after.append(notify_socket.recv(4096).decode())
            except BlockingIOError:
                break
        assert "WATCHDOG=1" not in after, after
        assert app.poll() is None  # alive, frozen: only the watchdog can tell
    finally:
        app.kill()
        _, errors = app.communicate(timeout=30)
        printer.stop()
    assert b"Traceback" not in errors
