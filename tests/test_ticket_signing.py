"""The device key behind the ticket QR signatures."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from kiosk.ticket_signing import (
    DeviceKeyError,
    load_or_create_device_key,
    sign_ticket,
    verify_ticket,
)
from tests.support.processes import REPO_ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_is_32_random_bytes_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "device.key"
    key = load_or_create_device_key(path)
    assert len(key) == 32 and key != bytes(32)
    assert mode(path) == 0o600
    assert load_or_create_device_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["device.key"], "no temporary file left"
    assert load_or_create_device_key(tmp_path / "other.key") != key


def test_a_key_readable_by_others_is_fixed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "device.key"
    key = load_or_create_device_key(path)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="kiosk.ticket_signing"):
        assert load_or_create_device_key(path) == key
    assert mode(path) == 0o600
    assert "readable by others" in caplog.text


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "device.key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(DeviceKeyError, match="must be exactly 32 bytes, found 5"):
        load_or_create_device_key(path)


def test_processes_creating_the_key_at_once_end_up_with_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "device.key"
    code = (
        "import sys; from pathlib import Path;"
        "from kiosk.ticket_signing import load_or_create_device_key as load;"
        "print(load(Path(sys.argv[1])).hex())"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    keys = {child.communicate()[0].strip() for child in children}
    assert keys == {path.read_bytes().hex()}


def test_any_device_signs_its_own_tickets_and_bad_references_are_not_signed() -> None:
    payload = sign_ticket(
        office="00637", day=date(2025, 7, 1), label="B017", device_id="lobby-02", key=b"k" * 32
    )
    assert verify_ticket(payload, {"lobby-02": b"k" * 32}.get).label == "B017"
    with pytest.raises(ValueError):
        sign_ticket(office="00637", day=date(2025, 7, 1), label="b17", device_id="x", key=b"k" * 32)
