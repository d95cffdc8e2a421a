"""`kiosk doctor` against a healthy virtual setup (a virtual printer and scanner on ptys, the
real central server on 127.0.0.1, an enrolled device) and against each fault made for real:
printer missing or out of paper, server down, a certificate of another authority, a device
clock ten minutes fast, a full disk, a read-only data folder, a damaged database, files and
ports the kiosk's user may not use."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from common.office_clock import aware_now
from devices.transport import open_transport
from devices.virtual_printer import VirtualPrinter
from devices.virtual_scanner import VirtualScanner
from kiosk.cli.doctor import table
from kiosk.config import Config
from kiosk.diagnostics import CHECK_TITLES, CHECKS, CheckContext, Finding, run_checks, worst
from kiosk.diagnostics.finding import Text, fault, ok, warning
from kiosk.enrolment import ENROLMENT_FILE
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR
from kiosk.services import open_device_data
from tests.support.central import CentralServer, central_server
from tests.support.device import device_config, enrol
from tests.support.mounts import fill, remount_read_only, small_tmpfs
from tests.support.ports import free_port
from tests.test_sync_tls import make_ca, make_server_cert

REPO = Path(__file__).resolve().parent.parent
FAST = CheckContext(timeout=1.0)
NOBODY = 65534


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Iterator[CentralServer]:
    with central_server(tmp_path_factory.mktemp("central")) as server:
        yield server


@pytest.fixture(scope="module")
def printer(tmp_path_factory) -> Iterator[VirtualPrinter]:
    twin = VirtualPrinter(tmp_path_factory.mktemp("printed"))
    twin.start()
    yield twin
    twin.stop()


@pytest.fixture(scope="module")
def scanner() -> Iterator[VirtualScanner]:
    twin = VirtualScanner()
    yield twin
    twin.close()


def lobby(
    tmp_path: Path,
    printer_url: str,
    *,
    scanner_url: str | None = None,
    central_settings: str = "",
    kiosk: str = "",
) -> Config:
    scanning = f'mode = "serial"\nurl = "{scanner_url}"\n' if scanner_url else ""
    return device_config(
        tmp_path,
        central_settings,
        kiosk=f'[printer]\nurl = "{printer_url}"\n[scanner]\n{scanning}{kiosk}',
    )


def healthy(tmp_path: Path, central: CentralServer, printer: VirtualPrinter, **options) -> Config:
    """An enrolled lobby that has run once, on the virtual printer."""
    config = lobby(tmp_path, printer.device_path, **options)
    open_device_data(config).close()
    enrol(config, central)
    return config


def found(findings: list[Finding], check: str) -> Finding:
    return next(f for f in findings if f.check == check)


def doctor(config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "doctor", "--config", str(config_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_a_healthy_device_has_no_fault_and_doctor_exits_0(tmp_path, central, printer, scanner):
    config = healthy(tmp_path, central, printer, scanner_url=scanner.device_path)
    findings = run_checks(config, FAST)
    assert worst(findings) != "fault", [f.as_dict() for f in findings if f.status == "fault"]
    for check in (
        "database", "disk", "data_folder", "printer", "scanner", "device_ports", "enrolment",
        "central", "clock",
    ):  # fmt: skip
        assert found(findings, check).status == "ok", check
    assert found(findings, "printer").summary == f"Ready ({printer.device_path})."
    assert found(findings, "clock").detail["offset_s"] == pytest.approx(0, abs=5)
    assert {f.check for f in findings} <= set(CHECK_TITLES)
    vi = Translator(LOCALE_DIR, "vi").gettext
    assert found(findings, "printer").summary_text.render(vi).startswith("Sẵn sàng")

    listed = doctor(tmp_path / "etc", "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert [entry["check"] for entry in report] == [f.check for f in findings]
    assert {entry["status"] for entry in report} <= {"ok", "warning"}


def test_paper_out_and_paper_near_end_are_told_with_their_fix(tmp_path, central, printer):
    config = healthy(tmp_path, central, printer)
    try:
        printer.paper_near_end = True
        near = run_checks(config, FAST, only=["printer"])[0]
        assert near.status == "warning" and near.fix == "Put a new paper roll in soon."
        printer.paper_out = True
        out = run_checks(config, FAST, only=["printer"])[0]
    finally:
        printer.paper_out = printer.paper_near_end = False
    assert out.status == "fault" and out.summary.startswith("Out of paper")
    assert out.fix == "Put a new paper roll in and close the cover."


def test_a_missing_printer_is_a_fault_and_the_table_gives_its_fix(tmp_path):
    config = lobby(tmp_path, str(tmp_path / "ttyUSB9"))
    open_device_data(config).close()
    printer = run_checks(config, FAST, only=["printer"])[0]
    assert printer.status == "fault" and printer.summary.startswith("Not connected")
    assert "check [printer] url in kiosk.toml (ports present:" in printer.fix

    table = doctor(tmp_path / "etc")
    assert table.returncode == 1 and "Traceback" not in table.stderr
    line = next(line for line in table.stdout.splitlines() if line.startswith("printer"))
    assert "FAULT" in line and "Not connected" in line
    assert "Fix: Plug the printer in" in table.stdout


def test_the_tables_last_line_counts_faults_and_warnings_in_plain_english() -> None:
    down = fault("central", Text("No answer."), Text("Check the network."))
    unsure = warning("time_sync", Text("Cannot tell."))
    assert table([ok("disk", "Enough."), down, unsure, unsure]).endswith("\n1 fault, 2 warnings.")
    assert table([down, down, unsure]).endswith("\n2 faults, 1 warning.")
    assert table([ok("disk", "Enough.")]).endswith("\n0 faults, 0 warnings.")


def test_a_printer_held_by_the_running_kiosk_is_not_fought_for(tmp_path, central, printer):
    config = healthy(tmp_path, central, printer)
    held = open_transport(printer.device_path, baudrate=115200)  # as the running app holds it
    try:
        in_use = run_checks(config, FAST, only=["printer"])[0]
        (config.device.data_dir / "health.json").write_text(
            json.dumps({"printer": "paper_out", "observed_at": aware_now().isoformat()})
        )
        reported = run_checks(config, FAST, only=["printer"])[0]
    finally:
        held.close()
    assert in_use.status == "ok" and in_use.summary.startswith("In use by the running kiosk")
    assert reported.status == "fault" and reported.summary.startswith("Out of paper")


def test_a_server_that_is_down_is_a_fault_and_the_clock_is_not_compared(tmp_path, central, printer):
    down = f'url = "http://127.0.0.1:{free_port()}"\n'
    config = healthy(tmp_path, central, printer, central_settings=down)
    findings = run_checks(config, FAST, only=["central"])
    assert [f.check for f in findings] == ["central"]
    assert findings[0].status == "fault" and findings[0].summary.startswith("No answer")
    assert findings[0].fix.startswith("Check the network cable or Wi-Fi")


@pytest.fixture(scope="module")
def foreign_tls_server(tmp_path_factory) -> Iterator[str]:
    """An HTTPS server whose certificate another authority than the device's CA signed."""
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = make_server_cert(folder, make_ca(folder / "other-ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_certificate_of_another_authority_is_a_tls_fault(
    tmp_path, central, printer, foreign_tls_server
):
    make_ca(tmp_path / "city-ca.pem")
    settings = f'url = "{foreign_tls_server}"\nca_bundle = "{tmp_path / "city-ca.pem"}"\n'
    config = healthy(tmp_path, central, printer, central_settings=settings)
    (tls,) = run_checks(config, FAST, only=["central"])
    assert tls.status == "fault" and tls.summary.startswith("Bad TLS certificate")
    assert "CA bundle that signed the server's certificate" in tls.fix


def test_a_device_clock_ten_minutes_fast_is_a_fault(tmp_path, central, printer):
    config = healthy(tmp_path, central, printer)
    fast = CheckContext(timeout=1.0, clock=lambda: aware_now() + timedelta(minutes=10))
    clock = found(run_checks(config, fast, only=["central"]), "clock")
    assert clock.status == "fault"
    assert clock.summary == "The device clock is 10 min fast against the server's."
    assert "timedatectl set-ntp true" in clock.fix


@contextlib.contextmanager
def on_a_small_disk(tmp_path: Path) -> Iterator[Config]:
    """A device that has run once, its data folder on a 2 MB tmpfs (while the block runs)."""
    config = lobby(tmp_path, "socket://127.0.0.1:9")
    with small_tmpfs(config.device.data_dir, "2m"):
        open_device_data(config).close()
        yield config


def test_a_full_disk_is_named(tmp_path):
    with on_a_small_disk(tmp_path) as config:
        fill(config.device.data_dir)
        findings = run_checks(config, FAST, only=["disk", "database"])
    disk = found(findings, "disk")
    assert disk.status == "fault" and disk.summary.startswith("Storage full: only 0 MB free")
    database = found(findings, "database")  # it cannot even be opened to be checked
    assert database.status == "fault" and database.summary.startswith("Storage full")


def test_a_read_only_data_folder_is_named_and_its_database_still_checked(tmp_path):
    with on_a_small_disk(tmp_path) as config:
        remount_read_only(config.device.data_dir)
        findings = run_checks(config, FAST, only=["data_folder", "database"])
    folder = found(findings, "data_folder")
    assert folder.status == "fault" and folder.summary.startswith("Memory card read-only")
    assert "replace the card" in folder.fix
    assert found(findings, "database").status == "ok"  # read as immutable


def test_a_damaged_database_is_named_with_the_recovery_steps(tmp_path):
    config = lobby(tmp_path, "socket://127.0.0.1:9")
    open_device_data(config).close()
    database = config.device.data_dir / "kiosk.db"
    size = database.stat().st_size
    with database.open("r+b") as f:
        f.seek(4096)
        f.write(os.urandom(size - 4096))
    (damaged,) = run_checks(config, FAST, only=["database"])
    assert damaged.status == "fault" and damaged.summary.startswith("Database damaged")
    vi = Translator(LOCALE_DIR, "vi").gettext
    assert damaged.summary_text.render(vi).startswith("Cơ sở dữ liệu bị hỏng: ")  # on the screen
    assert "its outbox may hold events not yet sent" in damaged.fix
    assert database.stat().st_size == size  # looked at, not touched


def test_files_and_ports_the_kiosk_user_cannot_use_are_faults_with_their_fix(
    tmp_path, central, printer
):
    """As after `sudo kiosk enroll`: central.json is root's, 0600, and the kiosk user (the
    data folder's owner, here nobody) cannot read it, nor use the printer's port (root's, group
    tty, 0620 or root, 0600); the scanner's port, opened to all, it may."""
    port = VirtualScanner()
    try:
        os.chmod(port.device_path, 0o666)
        config = healthy(tmp_path, central, printer, scanner_url=port.device_path)
        os.chown(config.device.data_dir, NOBODY, -1)
        findings = run_checks(config, FAST, only=["enrolment", "device_ports"])
    finally:
        port.close()
    enrolment = found(findings, "enrolment")
    assert enrolment.status == "fault" and "cannot be read by nobody" in enrolment.summary
    assert enrolment.fix.startswith("Give the file to the kiosk user (chown nobody:")
    as_nobody = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat",
         str(config.device.data_dir / ENROLMENT_FILE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Permission denied" in as_nobody.stderr  # the kernel agrees
    ports = [f for f in findings if f.check == "device_ports"]
    assert [(f.detail["path"], f.status) for f in ports] == [
        (printer.device_path, "fault"),
        (port.device_path, "ok"),
    ]
    group = ports[0].detail["group"]
    assert ports[0].fix == (
        f"Add the user to the device's group: usermod -aG {group} nobody, then restart the kiosk."
    )


def test_a_check_that_crashes_is_its_own_fault_and_the_others_still_run(tmp_path, monkeypatch):
    """A broken check cannot be made for real without breaking the code: replaced here."""

    def broken(config, context):
        raise RuntimeError("unexpected state\nsecond line")

    monkeypatch.setitem(CHECKS, "disk", broken)
    config = lobby(tmp_path, "socket://127.0.0.1:9")
    findings = run_checks(config, FAST, only=["disk", "data_folder"])
    assert [(f.check, f.status) for f in findings] == [("disk", "fault"), ("data_folder", "fault")]
    assert findings[0].summary == "The check itself failed: RuntimeError: unexpected state"


ROLE = '[device]\nrole = "lobby"\n'


def test_a_device_not_provisioned_is_a_warning_until_its_role_is_set(tmp_path):
    """It would start on its setup screen: `kiosk doctor` says so, not only "valid"."""
    unprovisioned = run_checks(device_config(tmp_path / "new"), FAST)
    said = [f.summary for f in unprovisioned if f.check == "configuration"]
    assert any(s.startswith("Not provisioned:") for s in said), said
    provisioned = run_checks(device_config(tmp_path / "set", kiosk=ROLE), FAST)
    said = [f.summary for f in provisioned if f.check == "configuration"]
    assert not any(s.startswith("Not provisioned:") for s in said), said
    # Inside a running role's app (the demo gives the role on its command line): it runs one.
    running = run_checks(device_config(tmp_path / "demo"), replace(FAST, in_running_app=True))
    said = [f.summary for f in running if f.check == "configuration"]
    assert not any(s.startswith("Not provisioned:") for s in said), said
