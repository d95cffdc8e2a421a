"""Export the device's logs to a USB stick the technician plugged in.

The stick: a mounted removable drive (the kiosk user cannot mount one; the desktop's automounter
does, or on a Lite image systemd/99-kiosk-devices.rules): a mount point under /media or
/run/media (/media/<label>, /media/<user>/<label>), or a mount of a /dev/sd* disk the kernel
calls removable. Under systemd's ProtectSystem=strict the unit makes those folders writable
(ReadWritePaths=-/media -/run/media).

The export is a folder named by the device id and the time, holding the log files (rotated ones
too) and a summary (JSON) of the device's health and the doctor's findings, every file synced to
the stick before the technician is told to pull it. The logs name no person
(kiosk.logging_setup), so the export carries nothing personal.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.i18n import N_

log = logging.getLogger(__name__)

STICK_ROOTS = (Path("/media"), Path("/run/media"))
MOUNTS = Path("/proc/mounts")
SYS_BLOCK = Path("/sys/block")
SUMMARY_FILE = "summary.json"
LOG_GLOB = "*.log*"  # kiosk.log and its rotations kiosk.log.1 … (and a role's, in the demo)

NO_STICK = N_("No USB stick found. Plug one in and try again.")
READ_ONLY = N_("The USB stick is read-only. Use another stick or unlock it.")
NOT_ALLOWED = N_(
    "This device may not write to the USB stick (permission denied): have it mounted for the"
    " kiosk user."
)
FULL = N_("The USB stick is full. Free some space on it or use another stick.")
FAILED = N_("The logs could not be written to the USB stick.")


class ExportFailed(Exception):
    """The export did not happen; `reason` is a msgid for the technician's screen."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: int


def find_sticks(
    roots: Iterable[Path] = STICK_ROOTS, mounts: Path = MOUNTS, sys_block: Path = SYS_BLOCK
) -> list[Path]:
    """The mounted removable drives, in the order of the mount table: mount points inside one
    of `roots`, and mounts of a /dev/sd* disk the kernel calls removable (a USB SSD the
    system runs from is not; never the system's own folders either)."""
    roots = [root.resolve() for root in roots]
    found: list[Path] = []
    try:
        table = mounts.read_text("utf-8", errors="replace").splitlines()
    except OSError as error:
        log.warning("the mount table cannot be read: %s", error)
        return found
    for line in table:
        fields = line.split()
        if len(fields) < 2:
            continue
        source, point = fields[0], Path(_unescape(fields[1]))
        inside = any(point != root and point.is_relative_to(root) for root in roots)
        removable = inside or _removable_disk(source, sys_block)
        if removable and point not in found and not _is_system_folder(point):
            found.append(point)
    return found


def export_logs(
    stick: Path, log_dir: Path, summary: Mapping[str, object], device_id: str, now: datetime
) -> Exported:
    """Copies the logs of `log_dir` and `summary` into a new folder on `stick`, synced."""
    sources = sorted(log_dir.glob(LOG_GLOB)) if log_dir.is_dir() else []
    try:
        folder = _new_folder(stick, f"{device_id}-{now:%Y%m%d-%H%M%S}")
    except OSError as error:
        log.warning("log export to %s failed: %s", stick, error)
        raise ExportFailed(_reason(error)) from None
    try:
        for source in sources:
            _copy_synced(source, folder / source.name)
        body = json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n"
        _write_synced(folder / SUMMARY_FILE, body.encode("utf-8"))
        _sync_folder(folder)
        _sync_folder(stick)
    except OSError as error:
        log.warning("log export to %s failed: %s", stick, error)
        shutil.rmtree(folder, ignore_errors=True)  # a half-written export is not left behind
        raise ExportFailed(_reason(error)) from None
    log.info("logs exported to %s (%d files)", folder, len(sources) + 1)
    return Exported(folder, len(sources) + 1)


def _new_folder(stick: Path, name: str) -> Path:
    """A folder of its own on the stick: `name`, or `name-2`… when an export of the same second
    is there already (never written into, never removed)."""
    for attempt in range(1, 100):
        folder = stick / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(errno.EEXIST, "too many exports in one second", str(stick / name))


def _reason(error: OSError) -> str:
    if error.errno == errno.EROFS:
        return READ_ONLY
    if error.errno in (errno.EACCES, errno.EPERM):
        return NOT_ALLOWED
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return FULL
    return FAILED


def _copy_synced(source: Path, target: Path) -> None:
    with source.open("rb") as reader, target.open("xb") as writer:
        shutil.copyfileobj(reader, writer)
        writer.flush()
        os.fsync(writer.fileno())


def _write_synced(target: Path, data: bytes) -> None:
    with target.open("xb") as writer:
        writer.write(data)
        writer.flush()
        os.fsync(writer.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unescape(field: str) -> str:
    """A mount point as /proc/mounts writes it: space, tab, newline and backslash octal-escaped."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _removable_disk(source: str, sys_block: Path) -> bool:
    """Whether `source` is a partition (or the whole) of a /dev/sd* disk marked removable."""
    if not source.startswith("/dev/sd"):
        return False
    disk = source.removeprefix("/dev/").rstrip("0123456789")
    try:
        return (sys_block / disk / "removable").read_text().strip() == "1"
    except OSError:
        return False


def _is_system_folder(point: Path) -> bool:
    return point == Path("/") or point.parts[1:2] in (("boot",), ("usr",), ("var",), ("etc",))
