"""`kiosk scan-test`, `python -m devices.virtual_scanner` and `python -m
kiosk.citizen_id_sample_scanner` as a technician runs them: real processes on a real
pseudo-terminal."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.scanner import CONNECTED, SerialScanner
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id import NOT_AN_ID_CARD
from kiosk.citizen_id_scan_check import initials
from tests.support.device import write_override
from tests.support.processes import REPO_ROOT, ctrl_c_delivered
from tests.test_citizen_id import SAMPLES_FILE, shared_samples
from tests.test_scanner import Recorder

CARD = "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Phường Đại Mỗ, Hà Nội|20042021"


class Process:
    """A child process whose output lines can be awaited one by one."""

    def __init__(self, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            preexec_fn=ctrl_c_delivered,
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def expect(self, text: str, timeout: float = 30.0) -> str:
        """The next output line that contains `text` (lines before it are kept in `output`)."""
        while True:
            line = self._lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"the process ended before printing {text!r}: {self.output}")
            self.output.append(line)
            if text in line:
                return line

    def type(self, text: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(text)
        self.popen.stdin.flush()

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        """Close its input, wait for the exit; the exit code and stderr."""
        assert self.popen.stdin is not None and self.popen.stderr is not None
        self.popen.stdin.close()
        code = self.popen.wait(timeout=timeout)
        while (line := self._lines.get(timeout=timeout)) is not None:
            self.output.append(line)
        return code, self.popen.stderr.read()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        for pipe in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def config_folder(tmp_path: Path) -> Path:
    return write_override(tmp_path / "etc")


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


def scan_test(processes: list[Process], scanner: str, config: Path, *options: str) -> Process:
    process = Process(
        "-m", "kiosk", "scan-test", "--scanner", scanner, "--config", str(config), *options
    )
    processes.append(process)
    process.expect("connected")
    return process


def test_scan_test_prints_each_scan_masked_then_exits_after_count(
    tmp_path: Path, config_folder: Path, processes: list[Process]
) -> None:
    twin = VirtualScanner(tmp_path / "qr-scanner")
    try:
        kiosk = scan_test(processes, twin.device_path, config_folder, "--count", "3")
        twin.scan(b"]Q1" + CARD.encode())  # an AIM id and CRLF around it
        twin.scan(b"https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", b"\r")
        twin.scan(CARD.replace("|Nam|", "|Nữ|").encode(), b"\n")
        code, stderr = kiosk.finish()
    finally:
        twin.close()
    assert code == 0, stderr
    output = "\n".join(kiosk.output)
    assert (
        "1: ID ••••••••2345, name N. V. M., birth 1999-03-15, warnings: none;"
        " around it: AIM ]Q1, CRLF" in output
    )
    assert f"2: rejected (not-id-card): {NOT_AN_ID_CARD}; around it: CR" in output
    assert (
        "3: ID ••••••••2345, name N. V. M., birth 1999-03-15, warnings: id-sex-mismatch" in output
    )
    for secret in ("001099012345", "013456789", "Nguyễn", "Mẫu", "Đại Mỗ"):
        assert secret not in output + stderr


def test_scan_test_reads_the_samples_sent_by_the_virtual_scanner_process(
    config_folder: Path, processes: list[Process]
) -> None:
    samples = shared_samples()
    twin = Process("-m", "kiosk.citizen_id_sample_scanner", str(SAMPLES_FILE))
    processes.append(twin)
    device = twin.expect("/")
    kiosk = scan_test(processes, device, config_folder, "--count", str(len(samples)))
    for number in range(1, len(samples) + 1):
        twin.expect("Enter scans")
        twin.type("\n")
        kiosk.expect(f"{number}: ")
    twin.expect("All samples scanned")
    code, stderr = kiosk.finish()
    assert code == 0, stderr
    results = [line for line in kiosk.output if line[:1].isdigit()]
    assert len(results) == len(samples)
    for sample, result in zip(samples, results, strict=True):
        if sample.expect == "reject":
            assert "rejected" in result
        elif sample.expect in ("ok", "warn"):
            assert result.split(": ", 1)[1].startswith("ID ••••••••")
            assert ("warnings: none" in result) == (sample.expect == "ok")


def test_scan_test_keeps_waiting_for_a_missing_scanner_until_interrupted(
    tmp_path: Path, config_folder: Path, processes: list[Process]
) -> None:
    kiosk = Process(
        "-m",
        "kiosk",
        "scan-test",
        "--scanner",
        str(tmp_path / "absent"),
        "--config",
        str(config_folder),
    )
    processes.append(kiosk)
    kiosk.expect("disconnected")
    kiosk.popen.send_signal(2)  # Ctrl-C
    code, stderr = kiosk.finish()
    assert code == 130
    assert "Traceback" not in stderr


def test_virtual_scanner_sends_each_line_of_its_input_before_it_exits(tmp_path: Path) -> None:
    twin = Process("-m", "devices.virtual_scanner", "--link", str(tmp_path / "qr"))
    recorder = Recorder()
    try:
        device = twin.expect("qr")
        scanner = SerialScanner(device, on_line=recorder.line, on_state=recorder.state)
        scanner.start()
        try:
            assert recorder.wait_state(CONNECTED)
            twin.type(f"{CARD}\nhttps://dichvucong.gov.vn\n")
            code, _ = twin.finish()  # end of input: it exits once the driver has read it all
            assert recorder.wait_lines(2)
        finally:
            scanner.stop()
    finally:
        twin.kill()
    assert code == 0
    assert recorder.lines == [CARD.encode() + b"\r\n", b"https://dichvucong.gov.vn\r\n"]
    assert not (tmp_path / "qr").exists()


def test_initials_keep_one_letter_per_word() -> None:
    assert initials("Nguyễn  Văn Mẫu") == "N. V. M."
    assert initials("H'Hen Niê") == "H. N."
