"""The printer driver and its transports against real ptys, FIFOs and the virtual printer."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from devices import escpos_commands as cmd
from devices.escpos_encoder import encode, longest_command
from devices.printer import EscPosPrinter, PrintError, PrinterState, decode_status
from devices.printjob import Cut, PrintJob, QRCode, Text
from devices.pty_pair import open_pty_pair
from devices.transport import TransportError, TransportTimeout, open_transport
from devices.virtual_printer import VirtualPrinter
from tests.test_escpos_encoder import PROFILES, sample_ticket

MakeDriver = Callable[..., EscPosPrinter]
ONE_QUERY = cmd.status_request(1) + cmd.status_request(2) + cmd.status_request(4)
# What the driver sends first on every open of the port.
RESYNC = cmd.resynchronise(longest_command(PROFILES["generic-80"]))
# Wider than the paper at size 4, so it wraps into many raster lines: about 250 KB in all,
# far more than a pty buffers.
BIG_JOB = PrintJob((Text("Đất đai – Xây dựng " * 60, size=4), Cut()))


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[VirtualPrinter]:
    printer = VirtualPrinter(tmp_path / "pages")
    printer.start()
    yield printer
    printer.stop()


@pytest.fixture
def make_driver() -> Iterator[MakeDriver]:
    drivers: list[EscPosPrinter] = []

    def make(url: str, **kwargs: object) -> EscPosPrinter:
        kwargs.setdefault("status_timeout", 2.0)
        driver = EscPosPrinter(url, PROFILES["generic-80"], **kwargs)  # type: ignore[arg-type]
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def decoded(page: Path) -> list[str]:
    return [symbol.data.decode() for symbol in decode(Image.open(page).convert("L"))]


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ((0x12, 0x12, 0x12), PrinterState.READY),
        ((0x12, 0x12, 0x1E), PrinterState.PAPER_NEAR_END),
        ((0x1A, 0x32, 0x7E), PrinterState.PAPER_OUT),
        ((0x1A, 0x12, 0x72), PrinterState.PAPER_OUT),  # paper end seen by the roll sensor only
        ((0x1A, 0x16, 0x12), PrinterState.COVER_OPEN),
        ((0x1A, 0x36, 0x7E), PrinterState.COVER_OPEN),  # cover open wins: closing it may fix both
        ((0x1A, 0x52, 0x12), PrinterState.OFFLINE),  # offline for another error
    ],
)
def test_status_bits_decode_to_states(answers: tuple[int, int, int], state: PrinterState) -> None:
    assert decode_status(*answers) is state


def test_ready_printer_reports_ready(twin: VirtualPrinter, make_driver: MakeDriver) -> None:
    driver = make_driver(twin.device_path)
    assert driver.state is PrinterState.DISCONNECTED  # nothing known before the first query
    assert driver.query_status() is PrinterState.READY
    assert driver.state is PrinterState.READY
    assert bytes(twin.received) == RESYNC + ONE_QUERY


@pytest.mark.parametrize(
    ("switch", "state"),
    [("paper_out", PrinterState.PAPER_OUT), ("cover_open", PrinterState.COVER_OPEN)],
)
def test_job_is_refused_without_sending_when_the_printer_cannot_print(
    twin: VirtualPrinter, make_driver: MakeDriver, switch: str, state: PrinterState
) -> None:
    setattr(twin, switch, True)
    driver = make_driver(twin.device_path)
    with pytest.raises(PrintError) as error:
        driver.print_job(sample_ticket())
    assert error.value.state is state
    assert "not printed" in str(error.value)
    assert bytes(twin.received) == RESYNC + ONE_QUERY  # no job bytes
    assert not twin.wait_for_pages(1, timeout=0.3)
    assert driver.state is state


def test_paper_near_end_still_prints(twin: VirtualPrinter, make_driver: MakeDriver) -> None:
    twin.paper_near_end = True
    driver = make_driver(twin.device_path)
    driver.print_job(sample_ticket())
    assert twin.wait_for_pages(1, timeout=10)
    assert driver.state is PrinterState.PAPER_NEAR_END


def test_paper_running_out_during_the_job_is_reported_after_it(
    twin: VirtualPrinter, make_driver: MakeDriver
) -> None:
    # The twin flips to paper out as the job's cut arrives, like a roll ending on this ticket.
    twin.on_page = lambda _page: setattr(twin, "paper_out", True)
    driver = make_driver(twin.device_path)
    with pytest.raises(PrintError) as error:
        driver.print_job(sample_ticket())
    assert error.value.state is PrinterState.PAPER_OUT
    assert "sent" in str(error.value)


def test_offline_printer_is_offline_and_refuses_jobs(
    twin: VirtualPrinter, make_driver: MakeDriver
) -> None:
    twin.offline = True
    driver = make_driver(twin.device_path, status_timeout=0.2)
    assert driver.query_status() is PrinterState.OFFLINE
    with pytest.raises(PrintError) as error:
        driver.print_job(sample_ticket())
    assert error.value.state is PrinterState.OFFLINE
    assert "does not answer" in str(error.value)


@pytest.mark.parametrize("full_raster", [False, True])
def test_a_job_cut_off_mid_raster_is_flushed_when_the_port_is_opened_again(
    twin: VirtualPrinter, make_driver: MakeDriver, full_raster: bool
) -> None:
    """The field bug: the lobby was killed while sending an image; the printer still waits for
    the rest of it, so without a resynchronisation the next process's status requests and job
    are swallowed as image data and the printer "does not answer" restart after restart."""
    job = encode(sample_ticket(), PROFILES["generic-80"], full_raster=full_raster)
    raster = job.index(b"\x1dv0")  # the first image of the ticket
    cut_off = job[: raster + 8 + 100]  # its header and 100 of its bytes
    last_owner = open_transport(twin.device_path, baudrate=115200, write_timeout=1)
    last_owner.write(cut_off)
    assert wait_until(lambda: len(twin.received) == len(cut_off))
    last_owner.close()  # killed: the rest of the image never comes

    driver = make_driver(twin.device_path, status_timeout=0.3)
    assert driver.query_status() is PrinterState.READY
    driver.print_job(PrintJob((QRCode("after the kill"), Cut())))
    assert twin.wait_for_pages(1, timeout=10)
    assert decoded(twin.pages[-1]) == ["after the kill"]


def test_resynchronising_a_printer_in_step_prints_nothing(
    twin: VirtualPrinter, make_driver: MakeDriver
) -> None:
    job = PrintJob((Text("in step"), Cut()))
    plain = open_transport(twin.device_path, baudrate=115200, write_timeout=1)
    plain.write(encode(job, PROFILES["generic-80"]))  # the job alone, as a reference
    assert twin.wait_for_pages(1, timeout=10)
    plain.close()
    driver = make_driver(twin.device_path)
    for _ in range(2):
        driver.print_job(job)
        driver.stop()  # the next job opens the port again, and resynchronises
    assert twin.wait_for_pages(3, timeout=10)
    reference, *after = (Image.open(page).tobytes() for page in twin.pages)
    assert after == [reference, reference]


@pytest.mark.parametrize("answer", [b"\xff", b"\x7f", b"\x00", b"\x92"])
def test_garbage_status_answer_means_offline_never_paper_out(
    make_driver: MakeDriver, answer: bytes
) -> None:
    """A device on a real pty that answers every byte with `answer` (0x7f has all paper-end bits
    set but bit 0 wrong: python-escpos would call that paper out)."""
    pair = open_pty_pair()
    stop = threading.Event()

    def respond() -> None:
        while not stop.is_set():
            try:
                if os.read(pair.master_fd, 1):
                    os.write(pair.master_fd, answer)
            except BlockingIOError:
                time.sleep(0.005)

    responder = threading.Thread(target=respond, daemon=True)
    responder.start()
    try:
        driver = make_driver(pair.slave_path, status_timeout=0.5)
        assert driver.query_status() is PrinterState.OFFLINE
    finally:
        stop.set()
        responder.join()
        pair.close()


def test_stalled_printer_makes_the_write_time_out_and_the_next_job_reopens(
    tmp_path: Path, make_driver: MakeDriver
) -> None:
    twin = VirtualPrinter(tmp_path, baud=115200)  # paced, so the job is still being sent...
    twin.start()
    try:
        driver = make_driver(twin.device_path, write_timeout=0.5)
        outcome: list[BaseException] = []

        def print_big_job() -> None:
            try:
                driver.print_job(BIG_JOB)
            except PrintError as error:
                outcome.append(error)

        printing = threading.Thread(target=print_big_job)
        printing.start()
        assert wait_until(lambda: len(twin.received) > len(RESYNC + ONE_QUERY) + 64)
        twin.stalled = True  # ...when the printer stops taking data
        printing.join(timeout=20)
        assert not printing.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], PrintError)
        assert outcome[0].state is PrinterState.OFFLINE
        assert "did not take" in str(outcome[0])
        assert driver.state is PrinterState.OFFLINE

        twin.stalled = False  # back: the driver reopens the port and prints
        driver.print_job(PrintJob((QRCode("after the stall"), Cut())))
        assert twin.wait_for_pages(1, timeout=10)
        assert decoded(twin.pages[-1]) == ["after the stall"]
        assert driver.state is PrinterState.READY
    finally:
        twin.stop()


def test_stalled_port_write_times_out_within_a_bounded_time(twin: VirtualPrinter) -> None:
    twin.stalled = True
    transport = open_transport(twin.device_path, baudrate=115200, write_timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(TransportTimeout):
            transport.write(bytes(200_000))
        assert time.monotonic() - started < 10
    finally:
        transport.close()


def test_state_callback_fires_on_each_change_while_idle_polling(
    twin: VirtualPrinter, make_driver: MakeDriver
) -> None:
    states: list[PrinterState] = []
    driver = make_driver(twin.device_path, status_interval=0.05, on_state=states.append)
    driver.start()
    assert wait_until(lambda: states == [PrinterState.READY])
    twin.paper_out = True
    assert wait_until(lambda: states[-1:] == [PrinterState.PAPER_OUT])
    twin.paper_out = False
    assert wait_until(lambda: states[-1:] == [PrinterState.READY])
    assert states == [PrinterState.READY, PrinterState.PAPER_OUT, PrinterState.READY]
    assert threading.current_thread() is threading.main_thread()


def test_poller_reconnects_when_a_printer_reappears_behind_the_same_name(
    tmp_path: Path, make_driver: MakeDriver
) -> None:
    """Like a udev symlink (/dev/ticket-printer) that points to the new tty after a replug."""
    link = tmp_path / "ticket-printer"
    first = VirtualPrinter(tmp_path / "first")
    first.start()
    link.symlink_to(first.device_path)
    states: list[PrinterState] = []
    driver = make_driver(str(link), status_interval=0.05, on_state=states.append)
    driver.start()
    assert wait_until(lambda: driver.state is PrinterState.READY)

    first.stop()  # unplugged: the pty is gone
    assert wait_until(lambda: driver.state is PrinterState.DISCONNECTED)
    with pytest.raises(PrintError) as error:
        driver.print_job(sample_ticket())
    assert error.value.state is PrinterState.DISCONNECTED

    second = VirtualPrinter(tmp_path / "second")
    second.start()
    try:
        (tmp_path / "new-link").symlink_to(second.device_path)
        os.replace(tmp_path / "new-link", link)
        assert wait_until(lambda: driver.state is PrinterState.READY)
        driver.print_job(sample_ticket())
        assert second.wait_for_pages(1, timeout=10)
    finally:
        driver.stop()
        second.stop()
    assert states[:3] == [PrinterState.READY, PrinterState.DISCONNECTED, PrinterState.READY]


def test_concurrent_jobs_never_interleave(twin: VirtualPrinter, make_driver: MakeDriver) -> None:
    driver = make_driver(twin.device_path, status_interval=0.01)
    driver.start()
    payloads = [f"ticket-{i}" for i in range(4)]
    threads = [
        threading.Thread(target=driver.print_job, args=(PrintJob((Text(p), QRCode(p), Cut())),))
        for p in payloads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert twin.wait_for_pages(4, timeout=10)
    assert sorted(decoded(page)[0] for page in twin.pages) == payloads


def test_logs_state_changes_but_never_job_contents(
    twin: VirtualPrinter, make_driver: MakeDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="devices.printer")
    make_driver(twin.device_path).print_job(PrintJob((Text("Nguyễn Văn A 0123"), Cut())))
    assert "READY" in caplog.text
    assert "Nguy" not in caplog.text and "0123" not in caplog.text


def test_baud_pacing_makes_bytes_take_at_least_their_line_time(tmp_path: Path) -> None:
    twin = VirtualPrinter(tmp_path, baud=115200)
    twin.start()
    transport = open_transport(twin.device_path, baudrate=115200, write_timeout=10)
    try:
        size = 11_520  # one second at 115200 baud, 10 bits a byte
        started = time.monotonic()
        transport.write(bytes(size))
        assert wait_until(lambda: len(twin.received) == size)
        assert twin.last_byte_at is not None
        assert twin.last_byte_at - started >= size * 10 / 115200
    finally:
        transport.close()
        twin.stop()


def test_second_opener_of_a_tty_gets_a_clear_busy_error(twin: VirtualPrinter) -> None:
    first = open_transport(twin.device_path, baudrate=115200, write_timeout=1)
    try:
        with pytest.raises(TransportError, match="busy"):
            open_transport(twin.device_path, baudrate=115200, write_timeout=1)
    finally:
        first.close()


def test_missing_port_is_a_transport_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="ttyNOPE"):
        open_transport(str(tmp_path / "ttyNOPE"), baudrate=115200, write_timeout=1)


def test_pyserial_urls_are_supported() -> None:
    transport = open_transport("loop://", baudrate=115200, write_timeout=1)
    try:
        transport.write(cmd.status_request(1))
        assert transport.read(3, timeout=1) == b"\x10\x04\x01"
        transport.write(b"stale")
        transport.reset_input()
        assert transport.read(1, timeout=0.05) == b""
    finally:
        transport.close()


def test_raw_device_file_is_written_with_a_timeout(tmp_path: Path) -> None:
    """A FIFO stands in for /dev/usb/lp0: a file that is not a tty and can fill up."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    transport = open_transport(str(fifo), baudrate=115200, write_timeout=0.5)
    try:
        transport.write(b"\x1b@hello\n")
        assert os.read(reader, 100) == b"\x1b@hello\n"
        with pytest.raises(TransportTimeout, match="took only"):
            transport.write(bytes(1_000_000))  # nobody drains the FIFO
    finally:
        transport.close()
        os.close(reader)
