"""The serial QR scanner driver against its twin on real pseudo-terminals."""

from __future__ import annotations

import logging
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.scanner import (
    CONNECTED,
    DISCONNECTED,
    Debounce,
    LineFramer,
    SerialScanner,
)
from devices.serial_worker import Backoff
from devices.virtual_scanner import VirtualScanner

CARD = "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Phường Đại Mỗ, Hà Nội|20042021".encode()
OTHER_CARD = "001304000123||Trần Thị Thử|02112004|Nữ|Phường Đại Mỗ, Hà Nội|10082022".encode()
CRLF = b"\r\n"  # the twin's default line end; a line comes with its own


class Recorder:
    """on_line / on_state callbacks that tests can wait on."""

    def __init__(self, fail_on: bytes | None = None) -> None:
        self.lines: list[bytes] = []
        self.states: list[str] = []
        self.threads: set[str] = set()
        self._fail_on = fail_on
        self._changed = threading.Condition()

    def line(self, line: bytes) -> None:
        with self._changed:
            self.lines.append(line)
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()
        if line == self._fail_on:
            raise ValueError(f"cannot handle {line!r}")

    def state(self, state: str) -> None:
        with self._changed:
            self.states.append(state)
            self._changed.notify_all()

    def wait(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def wait_lines(self, n: int) -> bool:
        return self.wait(lambda: len(self.lines) >= n)

    def wait_state(self, state: str, timeout: float = 10.0) -> bool:
        return self.wait(lambda: self.states[-1:] == [state], timeout)


MakeScanner = Callable[..., tuple[SerialScanner, Recorder]]


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[VirtualScanner]:
    scanner = VirtualScanner(tmp_path / "qr-scanner")
    yield scanner
    scanner.close()


@pytest.fixture
def make_scanner() -> Iterator[MakeScanner]:
    started: list[SerialScanner] = []

    def make(url: str, *, fail_on: bytes | None = None, **options: object):
        recorder = Recorder(fail_on)
        scanner = SerialScanner(url, on_line=recorder.line, on_state=recorder.state, **options)  # type: ignore[arg-type]
        scanner.start()
        started.append(scanner)
        return scanner, recorder

    yield make
    for scanner in started:
        scanner.stop()


def connected(make_scanner: MakeScanner, twin: VirtualScanner, **options: object):
    scanner, recorder = make_scanner(twin.device_path, **options)
    assert recorder.wait_state(CONNECTED)
    return scanner, recorder


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n"], ids=["CR", "LF", "CRLF"])
def test_a_scan_ending_in_any_suffix_is_one_line_in_auto_mode(
    twin: VirtualScanner, make_scanner: MakeScanner, suffix: bytes
) -> None:
    _, recorder = connected(make_scanner, twin)
    twin.scan(CARD, suffix)
    twin.scan(OTHER_CARD, suffix)
    assert recorder.wait_lines(2)
    assert recorder.lines == [CARD + suffix, OTHER_CARD + suffix]
    assert recorder.threads == {"qr-scanner"}


@pytest.mark.parametrize(
    ("suffix", "terminator", "inside"),
    [("CR", b"\r", b"a\nb"), ("LF", b"\n", b"a\rb"), ("CRLF", b"\r\n", b"a\rb\nc")],
)
def test_a_fixed_suffix_keeps_the_other_line_ends_inside_the_code(
    twin: VirtualScanner, make_scanner: MakeScanner, suffix: str, terminator: bytes, inside: bytes
) -> None:
    _, recorder = connected(make_scanner, twin, suffix=suffix)
    twin.scan(inside, terminator)
    twin.scan(CARD, terminator)
    assert recorder.wait_lines(2)
    assert recorder.lines == [inside + terminator, CARD + terminator]


def test_garbage_bytes_come_through_raw_and_the_next_scan_is_fine(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    _, recorder = connected(make_scanner, twin)
    garbage = bytes(byte for byte in range(256) if byte not in b"\r\n\t\x03\x04")  # no line end
    twin.scan(garbage)
    twin.scan(CARD)
    assert recorder.wait_lines(2)
    assert recorder.lines == [garbage + CRLF, CARD + CRLF]


def test_an_over_long_line_is_dropped_with_bounded_memory_and_reading_resyncs(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    scanner, recorder = connected(make_scanner, twin, max_line=4096)
    spew = b"\xaa" * 1_000_000
    tracemalloc.start()
    try:
        twin.scan(spew, b"")  # a megabyte and no line end: the scanner gone mad
        twin.scan(OTHER_CARD)  # the line end comes after this, so it belongs to the spew
        twin.scan(CARD)
        assert recorder.wait_lines(1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert recorder.lines == [CARD + CRLF]
    assert scanner.overlong_lines == 1
    assert peak < 256 * 1024


def test_the_same_card_read_again_within_the_debounce_time_is_reported_once(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    _, recorder = connected(make_scanner, twin, debounce_s=3600)
    for payload in (CARD, CARD, CARD, OTHER_CARD, CARD):
        twin.scan(payload)
    assert recorder.wait_lines(3)
    assert recorder.lines == [CARD + CRLF, OTHER_CARD + CRLF, CARD + CRLF]


def test_debounce_window_runs_from_the_last_sighting() -> None:
    debounce = Debounce(2.0)
    seen = [debounce.accept(CARD, at) for at in (0.0, 1.5, 3.0, 5.5)]
    assert seen == [True, False, False, True]


def test_an_unplugged_scanner_is_back_within_two_seconds_of_its_replug(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    _, recorder = connected(make_scanner, twin)
    twin.scan(CARD)
    assert recorder.wait_lines(1)
    twin.scan(b"001099", b"")  # half a code when the cable is pulled
    twin.unplug()
    assert recorder.wait_state(DISCONNECTED)
    twin.replug()  # a new tty behind the same udev-like link
    assert Backoff().first <= 0.5  # the first attempt to reopen a lost port comes soon
    assert recorder.wait_state(CONNECTED, timeout=2.0)
    twin.scan(OTHER_CARD)
    assert recorder.wait_lines(2)
    assert recorder.lines == [CARD + CRLF, OTHER_CARD + CRLF]
    assert recorder.states == [CONNECTED, DISCONNECTED, CONNECTED]


def test_a_scanner_missing_at_start_is_found_when_plugged_in(
    tmp_path: Path, make_scanner: MakeScanner
) -> None:
    link = tmp_path / "qr-scanner"
    scanner, recorder = make_scanner(str(link))
    assert recorder.wait_state(DISCONNECTED)
    assert scanner.state == DISCONNECTED
    late = VirtualScanner(link)
    try:
        assert recorder.wait_state(CONNECTED)
        late.scan(CARD)
        assert recorder.wait_lines(1)
    finally:
        late.close()


def test_a_second_reader_waits_until_the_first_lets_the_port_go(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    first, _ = connected(make_scanner, twin)
    _, second = make_scanner(twin.device_path)
    assert second.wait_state(DISCONNECTED)
    first.stop()
    assert second.wait_state(CONNECTED)
    twin.scan(CARD)
    assert second.wait_lines(1)


def test_a_failing_line_handler_does_not_stop_the_scanner(
    twin: VirtualScanner, make_scanner: MakeScanner
) -> None:
    _, recorder = connected(make_scanner, twin, fail_on=CARD + CRLF)
    twin.scan(CARD)
    twin.scan(OTHER_CARD)
    assert recorder.wait_lines(2)


def test_logs_say_what_happened_but_never_what_was_scanned(
    twin: VirtualScanner, make_scanner: MakeScanner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="devices.scanner")
    _, recorder = connected(make_scanner, twin, fail_on=CARD + CRLF, max_line=100)
    for payload in (CARD, CARD, OTHER_CARD + OTHER_CARD, OTHER_CARD):
        twin.scan(payload)
    assert recorder.wait_lines(2)
    twin.unplug()
    assert recorder.wait_state(DISCONNECTED)
    assert "connected" in caplog.text and "longer than 100 bytes" in caplog.text
    assert "ValueError" in caplog.text
    for secret in ("Nguy", "Trần", "0010990", "0013040", "Mỗ"):
        assert secret not in caplog.text


def test_stop_returns_promptly_while_the_port_is_missing(
    tmp_path: Path, make_scanner: MakeScanner
) -> None:
    scanner, recorder = make_scanner(str(tmp_path / "absent"))
    assert recorder.wait_state(DISCONNECTED)
    stopper = threading.Thread(target=scanner.stop)
    stopper.start()
    stopper.join(timeout=10)
    assert not stopper.is_alive()


class TestLineFramer:
    def test_a_terminator_split_across_reads_ends_one_line(self) -> None:
        framer = LineFramer("CRLF")
        assert framer.feed(b"abc\r") == []
        assert framer.feed(b"\ndef\r\n") == [b"abc\r\n", b"def\r\n"]

    def test_a_run_of_line_ends_in_auto_mode_is_one_line_end(self) -> None:
        framer = LineFramer("auto")
        assert framer.feed(b"abc\r") == [b"abc\r"]
        assert framer.feed(b"\nabc\n\n\r\n") == [b"abc\n\n\r\n"]
        assert framer.feed(b"a\tb\x03c\x03\r\nd\x04") == [b"a\t", b"b\x03", b"c\x03\r\n", b"d\x04"]

    def test_a_line_of_exactly_max_line_bytes_passes_one_more_does_not(self) -> None:
        framer = LineFramer("LF", max_line=8)
        assert framer.feed(b"12345678\n123456789\nok\n") == [b"12345678\n", b"ok\n"]
        assert framer.overlong == 1

    def test_a_crlf_cut_by_the_overflow_still_ends_the_long_line(self) -> None:
        framer = LineFramer("CRLF", max_line=4)
        assert framer.feed(b"123456\r") == []
        assert framer.feed(b"\nok\r\n") == [b"ok\r\n"]
        assert framer.overlong == 1

    def test_the_buffer_never_holds_more_than_max_line_and_a_chunk(self) -> None:
        framer = LineFramer("auto", max_line=64)
        chunk = b"x" * 1000
        tracemalloc.start()
        try:
            for _ in range(1000):
                framer.feed(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert framer.feed(b"\nok\n") == [b"ok\n"]
        assert framer.overlong == 1
        assert peak < 64 * 1024

    def test_an_unknown_suffix_is_refused(self) -> None:
        with pytest.raises(ValueError, match="auto, CR, LF, CRLF"):
            LineFramer("TAB")  # type: ignore[arg-type]


def test_virtual_scanner_refuses_to_scan_while_unplugged(twin: VirtualScanner) -> None:
    twin.unplug()
    with pytest.raises(RuntimeError, match="unplugged"):
        twin.scan(CARD)


def test_virtual_scanner_scan_times_out_when_nobody_reads(twin: VirtualScanner) -> None:
    with pytest.raises(TimeoutError, match="of 1000002 bytes"):
        twin.scan(b"x" * 1_000_000, timeout=0.2)
