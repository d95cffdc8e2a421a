"""`Export logs` to a USB stick: the files and the summary land in a folder of their own, synced;
the stick is found among the real mounts; a stick that is read-only or full is said so.

The mounts are real: a tmpfs mounted under a folder standing in for /media (root only: without
the right to mount, those tests are skipped and say why). A FAT stick image on a loop device would
be closer to a real stick, but the kernel the tests were written on has no vfat module."""

from __future__ import annotations

import contextlib
import json
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.log_export import FULL, READ_ONLY, ExportFailed, export_logs, find_sticks

MOMENT = datetime(2026, 12, 2, 7, 15, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def write_logs(folder: Path, size: int = 1000) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    logs = {name: (name * size).encode()[:size] for name in ("kiosk.log", "kiosk.log.1")}
    for name, body in logs.items():
        (folder / name).write_bytes(body)
    return logs


@contextlib.contextmanager
def mounted_stick(root: Path, size: str = "1m", *, read_only: bool = False):
    """A tmpfs mounted at root/kiosk/STICK, as the desktop's automounter mounts a stick."""
    point = root / "kiosk" / "STICK"
    point.mkdir(parents=True)
    options = f"size={size},mode=0777" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "teststick", str(point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here ({done.stderr.decode().strip()})")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=True)


def test_the_logs_and_the_summary_go_to_a_folder_named_by_device_and_time(tmp_path):
    logs = write_logs(tmp_path / "logs")
    stick = tmp_path / "stick"
    stick.mkdir()
    exported = export_logs(stick, tmp_path / "logs", {"pending": 3}, "lobby-01", MOMENT)
    assert exported.folder == stick / "lobby-01-20261202-071500"
    assert exported.files == 3
    for name, body in logs.items():
        assert (exported.folder / name).read_bytes() == body
    assert json.loads((exported.folder / "summary.json").read_text("utf-8")) == {"pending": 3}
    again = export_logs(stick, tmp_path / "logs", {"pending": 0}, "lobby-01", MOMENT)
    assert again.folder == stick / "lobby-01-20261202-071500-2"  # the first one is kept
    assert json.loads((exported.folder / "summary.json").read_text("utf-8")) == {"pending": 3}


def test_the_stick_is_found_among_the_mounts_and_not_once_it_is_gone(tmp_path):
    media = tmp_path / "media"
    (media / "kiosk" / "LEFTOVER").mkdir(parents=True)  # a folder on the SD card, no stick
    with mounted_stick(media) as stick:
        assert find_sticks([media]) == [stick]
    assert find_sticks([media]) == []


def test_a_read_only_stick_is_said_so_and_the_logs_stay(tmp_path):
    logs = write_logs(tmp_path / "logs")
    with mounted_stick(tmp_path / "media", read_only=True) as stick:
        with pytest.raises(ExportFailed) as failed:
            export_logs(stick, tmp_path / "logs", {}, "lobby-01", MOMENT)
        assert failed.value.reason == READ_ONLY
    assert {p.name: p.read_bytes() for p in (tmp_path / "logs").iterdir()} == logs


def test_a_full_stick_is_said_so_and_no_half_export_is_left_on_it(tmp_path):
    write_logs(tmp_path / "logs", size=300_000)
    with mounted_stick(tmp_path / "media", size="256k") as stick:
        with pytest.raises(ExportFailed) as failed:
            export_logs(stick, tmp_path / "logs", {}, "lobby-01", MOMENT)
        assert failed.value.reason == FULL
        assert list(stick.iterdir()) == []


def test_a_removable_disk_counts_wherever_it_is_mounted_and_the_system_disk_never(tmp_path):
    """No USB stick can be plugged in here: the mount table and the kernel's disk flags are
    written as the kernel shows them with a stick (sdb) beside a USB SSD the system runs from."""
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda2 / ext4 rw 0 0\n/dev/sda1 /boot/firmware vfat rw 0 0\n"
        "/dev/sda3 /srv ext4 rw 0 0\n/dev/sdb1 /mnt/My\\040Stick vfat rw 0 0\n"
    )
    for disk, removable in (("sda", "0"), ("sdb", "1")):
        (tmp_path / "block" / disk).mkdir(parents=True)
        (tmp_path / "block" / disk / "removable").write_text(f"{removable}\n")
    found = find_sticks([tmp_path / "media"], mounts=mounts, sys_block=tmp_path / "block")
    assert found == [Path("/mnt/My Stick")]
