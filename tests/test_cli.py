"""The `kiosk` command line as a technician uses it: real processes, printer twin and files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from PIL import Image
from pyzbar.pyzbar import decode

from common.version import __version__
from devices.virtual_printer import VirtualPrinter
from kiosk.config import load_config
from kiosk.services import open_device_data
from kiosk.tickets import Ticket
from tests.support.paper import qr_texts, shows_line

REPO = Path(__file__).resolve().parent.parent


def kiosk(*args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "kiosk", *args]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)


def override(tmp_path: Path, text: str = "") -> Path:
    folder = tmp_path / "etc"
    folder.mkdir(exist_ok=True)
    (folder / "kiosk.toml").write_text(
        f'[device]\ndata_dir = "{tmp_path / "data"}"\n{text}', encoding="utf-8"
    )
    return folder


def a_ticket_whose_printing_failed(folder: Path) -> Ticket:
    """Ticket 1001 of today, in the database of the device configured in `folder`."""
    data = open_device_data(load_config(folder))
    try:
        ticket = data.tickets.issue("ho-tich", priority=False, request_id="visit-1")
        data.tickets.mark_print_failed(ticket.id, "printer is out of paper")
    finally:
        data.close()
    return ticket


@pytest.fixture
def printer(tmp_path):
    twin = VirtualPrinter(tmp_path / "printed")
    twin.start()
    yield twin
    twin.stop()


def test_help_lists_every_command_and_version_prints_it():
    result = kiosk("--help")
    assert result.returncode == 0
    for command in ("run", "demo", "print-test", "reprint", "tickets", "check-config"):
        assert command in result.stdout
    assert kiosk("--version").stdout.strip() == f"kiosk {__version__}"


def test_a_bad_value_names_file_key_and_what_is_allowed(tmp_path):
    folder = override(tmp_path, '[printer]\nprofile = "no-such-printer"\n')
    result = kiosk("check-config", config=folder)
    assert result.returncode == 2
    assert str(folder / "kiosk.toml") in result.stderr
    assert "profile" in result.stderr and "generic-80" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_validates_and_summarises_the_scanner_envelope(tmp_path):
    folder = override(tmp_path, '[scanner]\nmode = "serial"\nprefix = "s"\n')
    result = kiosk("check-config", config=folder)
    assert result.returncode == 0, result.stderr
    assert (
        "Scanner serial /dev/ttyACM0: line end auto, envelope auto, prefix 's', trailer ''"
    ) in result.stdout
    result = kiosk("check-config", config=override(tmp_path, '[scanner]\nenvelope = "aim"\n'))
    assert result.returncode == 2
    assert 'envelope = "aim" — must be one of "auto", "none"' in result.stderr


def test_check_config_summarises_a_hall_display(tmp_path):
    folder = override(
        tmp_path,
        'role = "display"\n\n[speech]\noutput = "virtual"\n\n[office_network]\nport = 47999\n',
    )
    result = kiosk("check-config", config=folder)
    assert result.returncode == 0, result.stderr
    assert (
        "Hall display 1920x1080: the last 8 calls; speech espeak-ng (vi) to WAV files in "
        f"{tmp_path / 'data' / 'announcements'}; calls from the counters on UDP 0.0.0.0:47999"
    ) in result.stdout
    assert "Printer" not in result.stdout


def test_check_config_lists_every_file_read_and_notes_an_old_section_name(tmp_path):
    folder = override(tmp_path, "[display]\ndpi = 133\n")
    (folder / "officers.toml").write_text("", encoding="utf-8")
    result = kiosk("check-config", config=folder)
    assert result.returncode == 0, result.stderr
    listed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  /")]
    shipped = REPO / "config"
    assert listed == [
        str(shipped / "kiosk.toml"),
        str(folder / "kiosk.toml"),
        str(shipped / "catalogue.toml"),
        str(shipped / "printers.toml"),
        str(shipped / "rating.toml"),
        str(shipped / "officers.toml"),
        str(folder / "officers.toml"),
    ]
    assert f"Note: {folder / 'kiosk.toml'}: [display] is now called [panel]" in result.stdout


def test_print_test_prints_a_test_page_and_a_sample_ticket(tmp_path, printer):
    folder = override(tmp_path)
    assert kiosk("print-test", "--printer", printer.device_path, config=folder).returncode == 0
    result = kiosk("print-test", "--ticket", "--printer", printer.device_path, config=folder)
    assert result.returncode == 0, result.stderr
    assert printer.wait_for_pages(2, timeout=10)
    test_page, sample = (Image.open(page).convert("L") for page in printer.pages)
    (sample_qr,) = decode(sample)
    assert sample_qr.data.startswith(b"VNQ1|00637|")
    # The test page says what it is and holds no ticket QR.
    assert qr_texts(test_page) == ["TEST"]
    heading = "TRANG IN THỬ – KHÔNG PHẢI PHIẾU SỐ THỨ TỰ"
    assert shows_line(test_page, heading, load_config(folder).printer_profile, size=2, bold=True)


def test_print_test_on_a_missing_printer_says_so_in_one_sentence(tmp_path):
    result = kiosk("print-test", "--printer", str(tmp_path / "ttyUSB9"), config=override(tmp_path))
    assert result.returncode == 1
    assert "ttyUSB9" in result.stderr and "Traceback" not in result.stderr


def test_reprint_prints_failed_tickets_again_with_the_same_number(tmp_path, printer):
    folder = override(tmp_path)
    ticket = a_ticket_whose_printing_failed(folder)

    listed = json.loads(kiosk("tickets", "--json", config=folder).stdout)
    assert [(t["number"], t["print_status"]) for t in listed] == [("1001", "failed")]

    result = kiosk("reprint", "--failed", "--printer", printer.device_path, config=folder)
    assert result.returncode == 0, result.stderr
    assert "1001" in result.stdout
    assert printer.wait_for_pages(1, timeout=10)
    page = Image.open(printer.pages[0]).convert("L")
    assert qr_texts(page) == [ticket.qr_payload]
    assert shows_line(page, "IN LẠI", load_config(folder).printer_profile, size=2, bold=True)
    listed = json.loads(kiosk("tickets", "--json", config=folder).stdout)
    assert [(t["number"], t["print_status"]) for t in listed] == [("1001", "printed")]


def test_run_with_a_data_folder_it_cannot_write_explains_what_to_do(tmp_path):
    if os.geteuid() == 0:
        # root writes anywhere: use a path under a regular file instead, which nobody can create
        (tmp_path / "file").write_text("")
        data_dir = tmp_path / "file" / "data"
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        data_dir = tmp_path / "ro" / "data"
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "kiosk.toml").write_text(f'[device]\ndata_dir = "{data_dir}"\n', encoding="utf-8")
    result = kiosk("run", config=folder)
    assert result.returncode == 1
    assert f"Cannot use the data folder {data_dir}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_readme_demo_starts_central_and_kiosk_and_stops_cleanly(tmp_path):
    import signal
    import time

    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "demo", "--data", str(tmp_path / "demo")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    logs = tmp_path / "demo" / "logs"
    try:
        lines = [demo.stdout.readline().rstrip("\n") for _ in range(11)]
        assert lines[0].startswith("Demo data folder:")
        assert "enrolled as lobby-01 of office 00637" in lines[1]
        central_url = lines[1].split()[3]
        # Which window is which, where each one logs, where the announcements go, how to stop.
        lobby_title, counter_title, display_title = (
            "Phường Đại Mỗ – lobby lobby-01",
            "Phường Đại Mỗ – counter counter-01",
            "Phường Đại Mỗ – display display-01",
        )
        announcements = tmp_path / "demo" / "announcements"
        assert lines[4] == (
            f"Hall display: calls are shown there and announced into {announcements}"
            " (WAV files; this machine's speaker is not used)."
        )
        # No X display here: a 1920x1080 screen is assumed, too narrow for 1280 + 800 pixels.
        assert lines[5].startswith("Note: the screen (1920x1080) is too small")
        assert lines[6] == (
            f'Lobby kiosk: the window "{lobby_title}" at the left edge (0, 0);'
            f" its log: {logs / 'kiosk.log'} (and this console)"
        )
        assert lines[7] == (
            f'Counter 1: the window "{counter_title}" to the right of the lobby (1296, 0);'
            f" its log: {logs / 'counter.log'}"
        )
        assert lines[8].startswith(
            f'Hall display: the window "{display_title}" under the counter (1296, 536, 640x360,'
        )
        assert f"its log: {logs / 'display.log'}" in lines[8]
        assert lines[9] == f"Central server's log: {logs / 'central.log'}"
        assert lines[10] == (
            "To stop the demo: close the lobby window or press Ctrl+C here"
            " (counter 1, the hall display and the central server stop with it)."
        )
        deadline = time.monotonic() + 30
        log = logs / "kiosk.log"
        while time.monotonic() < deadline:
            if log.exists() and "sync online" in log.read_text():
                break
            time.sleep(0.2)
        assert "sync online" in log.read_text()
        assert (tmp_path / "demo" / "central.json").stat().st_mode & 0o777 == 0o600
        # Counter 1 runs beside the lobby, enrolled with the same server.
        counter_log = logs / "counter.log"
        while time.monotonic() < deadline and "counter terminal" not in counter_log.read_text():
            time.sleep(0.2)
        assert "counter terminal" in counter_log.read_text()
        assert (tmp_path / "demo" / "counter" / "data" / "central.json").exists()
        # Side by side: the lobby at the left edge, the counter 16 px right of its 1280 px.
        assert f'window "{lobby_title}": 1280x800 at left 0, top 0' in log.read_text()
        assert f'window "{counter_title}": 800x480 at left 1296, top 0' in counter_log.read_text()
        # The hall display under the counter, following the server's calls.
        display_log = logs / "display.log"
        while (
            time.monotonic() < deadline and "calls feed: following" not in display_log.read_text()
        ):
            time.sleep(0.2)
        assert f'window "{display_title}": 640x360 at left 1296, top 536' in display_log.read_text()
        assert "calls feed: following" in display_log.read_text()
        # Log times are the office's (UTC+7), as on the screens.
        for text in (log.read_text(), counter_log.read_text()):
            stamps = [line[:25] for line in text.splitlines() if line[:2] == "20"]
            assert stamps and all(stamp.endswith(" +0700") for stamp in stamps), stamps[:3]
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
    # The demo took counter 1 and its central server down with it.
    assert (
        subprocess.run(
            ["pgrep", "-f", str(tmp_path / "demo" / "counter" / "etc")], capture_output=True
        ).returncode
        == 1
    )
    assert (
        subprocess.run(
            ["pgrep", "-f", str(tmp_path / "demo" / "display" / "etc")], capture_output=True
        ).returncode
        == 1
    )
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{central_url}/api/v1/health", timeout=2)


def test_the_one_off_commands_never_import_kivy(tmp_path, printer):
    """Only `run` and `demo` start an app: the technician's tools work where Kivy cannot."""
    folder = override(tmp_path)
    a_ticket_whose_printing_failed(folder)
    usb = tmp_path / "usb"
    commands = [  # the command, what it types, its exit code
        (["--help"], "", 0),
        (["check-config"], "", 0),
        (["print-test", "--printer", printer.device_path], "", 0),
        (["tickets"], "", 0),
        (["reprint", "--failed", "--printer", printer.device_path], "", 0),
        (["outbox"], "", 0),
        (["sync", "--once"], "", 1),  # not enrolled
        (["enroll", "--api", "http://127.0.0.1:9", "--code", "7K3M-Q9XD-2HTB"], "", 1),
        (["badge-key", "--export", str(usb / "badge.key")], "", 0),
        (["badge", "--officer", "demo-an"], "", 0),
        (["ticket-key", "--export", str(usb / "lobby-01.key")], "", 0),
        (["scan-test", "--scanner", str(tmp_path / "ttyACM9"), "--count", "0"], "", 0),
        (["hash-pin"], "246810\n246810\n", 0),
    ]
    for args, typed, code in commands:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "kiosk", "--config", str(folder), *args],
            input=typed,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            start_new_session=True,  # no terminal: getpass reads the PIN from stdin
        )
        imported = {
            line.rsplit("|", 1)[1].strip()
            for line in result.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert result.returncode == code, (args, result.stderr[-2000:])
        assert "kiosk.cli.registry" in imported, args
        assert not {name for name in imported if name.split(".")[0] == "kivy"}, args


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "kiosk", "check-config"],
        ["-m", "central", "viewer-token", "--office", "00637"],
    ],
    ids=["kiosk", "kiosk-central"],
)
def test_output_into_a_pipe_closed_early_ends_quietly(tmp_path, command):
    """`kiosk check-config | head` used to end in a BrokenPipeError traceback: the reader here
    has gone before the command writes, as `head` has once it read its lines."""
    reader, writer = os.pipe()
    os.close(reader)
    args = [*command, "--config", str(override(tmp_path))] if command[1] == "kiosk" else command
    if command[1] == "central":
        args += ["--db", f"sqlite:///{tmp_path / 'central.db'}"]
    try:
        done = subprocess.run(
            [sys.executable, *args], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(writer)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 141
