"""Enrolment and the sync commands as a technician runs them: `kiosk enroll`, `kiosk outbox`,
`kiosk sync --once` in real processes, against the real central server."""

from __future__ import annotations

import json
import logging
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.enrolment import ENROLMENT_FILE, EnrolmentError, load_enrolment
from kiosk.personal_data import open_personal_data
from kiosk.store import Store
from tests.support.central import CentralProcess, central_event_ids
from tests.support.device import DEVICE, OFFICE, device_config, enrol
from tests.support.events import identified_event, once_each, ticket_events
from tests.support.processes import REPO_ROOT


def kiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args, "--config", str(tmp_path / "etc")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def new_code(central: CentralProcess, office: str = OFFICE) -> str:
    made = central.run_cli(
        "enroll-code", "--office", office, "--role", "lobby", "--device-id", DEVICE
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.splitlines()[0]


def test_kiosk_enroll_stores_the_token_privately_and_says_what_it_enrolled_as(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    result = kiosk(tmp_path, "enroll", "--api", central.url, "--code", new_code(central))
    assert result.returncode == 0, result.stderr
    token_file = config.device.data_dir / ENROLMENT_FILE
    assert result.stdout == (
        f"Enrolled as {DEVICE} (lobby) of office {OFFICE} with {central.url}; the token is in"
        f" {token_file}.\n"
    )
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text())
    assert stored["token"] not in result.stdout + result.stderr
    assert {key: stored[key] for key in ("api_url", "device_id", "office", "role")} == {
        "api_url": central.url,
        "device_id": DEVICE,
        "office": OFFICE,
        "role": "lobby",
    }
    assert sorted(path.name for path in token_file.parent.iterdir()) == [ENROLMENT_FILE]


def test_a_code_for_another_office_is_refused_and_nothing_stored(
    tmp_path: Path, central: CentralProcess
) -> None:
    device_config(tmp_path)
    code = new_code(central, office="00638")
    result = kiosk(tmp_path, "enroll", "--api", central.url, "--code", code)
    assert result.returncode == 1
    assert result.stderr == (
        "This enrolment code is for office 00638, but this device is configured for office"
        " 00637 ([office] code); nothing was stored. Ask for a code for office 00637.\n"
    )
    assert not (tmp_path / "data" / ENROLMENT_FILE).exists()


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("http://central.example.vn", "--api http://central.example.vn: must be"),
        ("http://127.0.0.1:9", "Cannot connect to the central server at 127.0.0.1:9"),
    ],
)
def test_enrolling_with_a_wrong_address_says_so_in_one_sentence(
    tmp_path: Path, api: str, expected: str
) -> None:
    device_config(tmp_path)
    result = kiosk(tmp_path, "enroll", "--api", api, "--code", "AAAA-BBBB-CCCC")
    assert result.returncode == 1
    assert result.stderr.startswith(expected) and "Traceback" not in result.stderr


def test_a_used_code_is_refused_with_the_servers_reason(
    tmp_path: Path, central: CentralProcess
) -> None:
    device_config(tmp_path)
    code = new_code(central)
    assert kiosk(tmp_path, "enroll", "--api", central.url, "--code", code).returncode == 0
    again = kiosk(tmp_path, "enroll", "--api", central.url, "--code", code)
    assert again.returncode == 1
    assert again.stderr == (
        "The central server refused the enrolment code: this enrolment code was already used.\n"
    )


def test_a_token_file_readable_by_others_is_made_private_with_a_warning(
    tmp_path: Path, central: CentralProcess, caplog: pytest.LogCaptureFixture
) -> None:
    config = device_config(tmp_path)
    enrolment = enrol(config, central)
    token_file = config.device.data_dir / ENROLMENT_FILE
    token_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert load_enrolment(config.device.data_dir) == enrolment
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert "readable by others; its mode is now 0600" in caplog.text
    assert enrolment.token not in caplog.text


def test_a_damaged_token_file_is_refused_plainly(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    config.device.data_dir.mkdir(parents=True)
    (config.device.data_dir / ENROLMENT_FILE).write_text('{"api_url": ')
    with pytest.raises(EnrolmentError, match="is damaged; enrol the device again"):
        load_enrolment(config.device.data_dir)


def test_kiosk_outbox_lists_what_waits_and_what_was_quarantined(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    events = ticket_events(4)
    with Store(config.device.data_dir / "kiosk.db") as store:
        store.outbox.add(events)
        store.outbox.settle([events[0]["id"]], {events[1]["id"]: "data: label is too long"})
        open_personal_data(store, config.device.data_dir, config.office).add_event(
            identified_event("Phạm Minh Châu", "038090001122")
        )
    result = kiosk(tmp_path, "outbox", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "pending": 3,
        "oldest_pending": events[2]["occurred_at"],
        "personal_pending": 1,
        "quarantined": [
            {
                "id": events[1]["id"],
                "type": "ticket.issued",
                "occurred_at": events[1]["occurred_at"],
                "reason": "data: label is too long",
                "personal": False,
            }
        ],
    }
    text = kiosk(tmp_path, "outbox")
    assert text.returncode == 0
    assert "3 events wait to be sent (the oldest from " in text.stdout
    assert "1 of them hold personal data." in text.stdout
    assert f"ticket.issued  {events[1]['id']}: data: label is too long" in text.stdout


def test_kiosk_sync_once_sends_everything_and_reports_a_poison_event(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    events = ticket_events(1200)
    events[700]["data"]["waiting_ahead"] = -1
    with Store(config.device.data_dir / "kiosk.db") as store:
        store.outbox.add(events)
    result = kiosk(tmp_path, "sync", "--once")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Sent to {central.url}: 1199 accepted, 0 already there."
    assert lines[1].startswith(f"Quarantined ticket.issued {events[700]['id']}: ")
    assert "waiting_ahead" in lines[1]
    assert lines[2] == (
        "Nothing else waits to be sent; quarantined events are listed by `kiosk outbox`."
    )
    delivered = [event["id"] for i, event in enumerate(events) if i != 700]
    assert central_event_ids(central.database) == once_each(delivered)


def test_kiosk_sync_once_with_the_server_down_exits_1_and_keeps_the_events(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    central.kill()
    with Store(config.device.data_dir / "kiosk.db") as store:
        store.outbox.add(ticket_events(3))
    result = kiosk(tmp_path, "sync", "--once")
    assert result.returncode == 1
    assert result.stderr == (
        f"3 events still wait to be sent. Cannot connect to the central server at"
        f" 127.0.0.1:{central.port}: the connection was refused.\n"
    )
    central.start()
    assert kiosk(tmp_path, "sync", "--once").stdout.endswith("The outbox is empty.\n")


def test_kiosk_sync_once_on_a_device_not_enrolled_says_how_to_enrol(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    Store(config.device.data_dir / "kiosk.db").close()
    result = kiosk(tmp_path, "sync", "--once")
    assert result.returncode == 1
    assert result.stderr == (
        "Sync is off: this device is not enrolled with a central server"
        " (kiosk enroll --api URL --code CODE).\n"
    )
