"""`kiosk provision` as a scripted install runs it, in real processes against the real central
server: from flags, and from the text `kiosk-central enroll-code --api-url` prints; a refused
code changes nothing; run as root, the files of the data folder belong to its owner."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.enrolment import ENROLMENT_FILE, load_enrolment
from tests.support.central import CentralProcess
from tests.support.device import OFFICE, write_override
from tests.support.processes import REPO_ROOT

NAME = "Phường Đại Mỗ"
COUNTER_FLAGS = ("--role", "counter", "--device-id", "counter-03", "--counter", "3")
OFFICE_FLAGS = ("--office", OFFICE, "--code-list-date", "2025-07-01", "--office-name", NAME)


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralProcess]:
    with CentralProcess.in_folder(tmp_path_factory.mktemp("central")) as server:
        server.start()
        yield server


def kiosk(etc: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args, "--config", str(etc)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def counter_code(central: CentralProcess, *extra: str) -> subprocess.CompletedProcess[str]:
    made = central.run_cli(
        "enroll-code", "--office", OFFICE, *COUNTER_FLAGS[:4], "--counter", "3", *extra
    )
    assert made.returncode == 0, made.stderr
    return made


def test_flags_write_a_valid_site_file_and_enrol(tmp_path: Path, central: CentralProcess) -> None:
    etc = write_override(
        tmp_path / "etc", kiosk="# the site's own note\n[lobby]\nidle_timeout = 45\n"
    )
    code = counter_code(central).stdout.splitlines()[0]
    result = kiosk(
        etc,
        "provision",
        *COUNTER_FLAGS,
        *OFFICE_FLAGS,
        "--api-url",
        central.url,
        "--code",
        code,
        "--printer",
        "/dev/kiosk-printer",
        "--profile",
        "generic-58",
        "--language",
        "en",
        "--rating-seconds",
        "20",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"Provisioned as counter-03 (counter, counter 3) of office {OFFICE} {NAME}; the"
        f" settings are in {etc / 'kiosk.toml'}.\nEnrolled with {central.url}.\n"
    )
    assert "WARNING: The technician PIN is still the shipped one" in result.stderr
    config = load_config(etc)
    assert (config.device.id, config.device.role, config.counter.number) == (
        "counter-03",
        "counter",
        3,
    )
    assert (config.office.name, config.device.language, config.lobby.idle_timeout) == (
        NAME,
        "en",
        45,
    )
    assert (config.printer.url, config.printer_profile.name) == ("/dev/kiosk-printer", "generic-58")
    assert config.counter.rating_seconds == 20
    assert "# the site's own note" in (etc / "kiosk.toml").read_text(encoding="utf-8")
    enrolment = load_enrolment(config.device.data_dir)
    assert enrolment is not None and (enrolment.device_id, enrolment.counter) == ("counter-03", 3)


def test_the_text_of_a_provisioning_qr_does_it_in_one_step(
    tmp_path: Path, central: CentralProcess
) -> None:
    etc = write_override(tmp_path / "etc")
    made = counter_code(
        central,
        "--api-url",
        central.url,
        "--office-name",
        NAME,
        "--code-list-date",
        "2025-07-01",
        "--qr-png",
        str(tmp_path / "qr.png"),
    )
    text = next(line for line in made.stdout.splitlines() if "KIOSKPROV1:" in line).split()[-1]
    assert (tmp_path / "qr.png").stat().st_size > 0
    result = kiosk(etc, "provision", "--qr-text", text, "--scanner", "/dev/ttyACM0")
    assert result.returncode == 0, result.stderr
    config = load_config(etc)
    assert (config.device.id, config.office.name, config.scanner.mode) == (
        "counter-03",
        NAME,
        "serial",
    )
    assert load_enrolment(config.device.data_dir) is not None


def test_a_refused_code_a_card_and_missing_flags_change_nothing(
    tmp_path: Path, central: CentralProcess
) -> None:
    etc = write_override(tmp_path / "etc")
    before = (etc / "kiosk.toml").read_bytes()
    attempts = [
        (
            ("--api-url", central.url, "--code", "AAAA-BBBB-CCCC", *COUNTER_FLAGS, *OFFICE_FLAGS),
            "Nothing was changed: The central server refused the enrolment code",
        ),
        (
            ("--qr-text", "001089012345||Nguyễn Văn A|01011989|Nam|Hà Nội|01012022"),
            "--qr-text: This is not a provisioning code",
        ),
        (("--role", "lobby", "--office", OFFICE), "Say what this device is: --device-id,"),
        (
            (
                *COUNTER_FLAGS,
                *OFFICE_FLAGS[:4],
                "--office-name",
                NAME,
                "--printer",
                "/dev/x",
                "--profile",
                "no-such-model",
            ),
            "Nothing was changed: " + str(etc / "kiosk.toml"),
        ),
    ]
    for args, message in attempts:
        result = kiosk(etc, "provision", *args)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert result.stderr.startswith(message), result.stderr
        assert "Traceback" not in result.stderr
    assert (etc / "kiosk.toml").read_bytes() == before
    assert not (tmp_path / "data" / ENROLMENT_FILE).exists()


@pytest.fixture
def nobodys_data_folder() -> Iterator[Path]:
    """A data folder owned by `nobody`, in a folder `nobody` can walk into."""
    if os.geteuid() != 0:
        pytest.skip("needs root, as `sudo kiosk ...` runs")
    top = Path(tempfile.mkdtemp(prefix="kiosk-owner-"))
    top.chmod(0o755)
    data = top / "data"
    data.mkdir(mode=0o700)
    user = pwd.getpwnam("nobody")
    os.chown(data, user.pw_uid, user.pw_gid)
    yield data
    shutil.rmtree(top)


def test_run_as_root_the_data_folders_files_belong_to_its_owner(
    tmp_path: Path, central: CentralProcess, nobodys_data_folder: Path
) -> None:
    data = nobodys_data_folder
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "kiosk.toml").write_text(f'[device]\ndata_dir = "{data}"\n', encoding="utf-8")
    code = counter_code(central).stdout.splitlines()[0]
    provisioned = kiosk(
        etc, "provision", *COUNTER_FLAGS, *OFFICE_FLAGS, "--api-url", central.url, "--code", code
    )
    assert provisioned.returncode == 0, provisioned.stderr
    again = counter_code(central).stdout.splitlines()[0]
    enrolled = kiosk(etc, "enroll", "--api", central.url, "--code", again)  # sudo kiosk enroll
    assert enrolled.returncode == 0, enrolled.stderr
    exported = kiosk(etc, "badge-key", "--export", str(tmp_path / "badge.key"))  # makes one
    assert exported.returncode == 0, exported.stderr
    nobody = pwd.getpwnam("nobody").pw_uid
    created = sorted(path.name for path in data.iterdir())
    assert ENROLMENT_FILE in created and "badge.key" in created
    assert {path.name: path.stat().st_uid for path in data.rglob("*")} == dict.fromkeys(
        (path.name for path in data.rglob("*")), nobody
    )
    site = (etc / "kiosk.toml").stat()
    assert (site.st_uid, stat.S_IMODE(site.st_mode)) == (0, 0o644)
    # nobody (the service's user here) reads the token and the key.
    token = as_nobody("cat", str(data / ENROLMENT_FILE))
    assert token.returncode == 0 and '"device_id": "counter-03"' in token.stdout, token.stderr
    assert as_nobody("test", "-r", str(data / "badge.key")).returncode == 0


def as_nobody(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "nobody", "--", *command], capture_output=True, text=True, check=False
    )
