"""The lobby keys a counter verifies ticket QR codes with, for entry without the central server.

A lobby signs each ticket's QR with its device key (kiosk.ticket_signing). The technician copies
that key to each counter: `kiosk ticket-key --export FILE` on the lobby, then
`kiosk ticket-key --import FILE --device-id lobby-01` on the counter, which keeps it in
`<data_dir>/ticket-keys/<device_id>.key` (mode 0600). Keys are read at each scan, so an import
takes effect in a running app.
"""

from __future__ import annotations

import re
from contextlib import suppress
from pathlib import Path

from common.key_files import read_key, write_key
from kiosk.ticket_signing import load_or_create_device_key

KEYS_DIR = "ticket-keys"
DEVICE_KEY_FILE = "device.key"

_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")


class TicketKeys:
    """The ticket keys of the lobby devices this counter trusts."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / KEYS_DIR

    def key_for_device(self, device_id: str) -> bytes | None:
        """The key of a lobby device, None when it was never imported. Raises KeyFileError
        when the file is damaged."""
        if not _DEVICE_ID.fullmatch(device_id):
            return None
        with suppress(FileNotFoundError):
            return read_key(self.path(device_id), f"the ticket key of {device_id}")
        return None

    def path(self, device_id: str) -> Path:
        return self.folder / f"{device_id}.key"

    def import_key(self, source: Path, device_id: str) -> Path:
        """Trust the tickets of `device_id`, signed with the key in `source`; returns where the
        key is kept. Raises ValueError for a bad device id, KeyFileError for a bad file."""
        if not _DEVICE_ID.fullmatch(device_id):
            raise ValueError(
                f"{device_id!r} is not a device id (1 to 32 characters a-z, 0-9 and '-')"
            )
        try:
            key = read_key(source, "the ticket key file")
        except FileNotFoundError:
            raise FileNotFoundError(f"{source}: no such file") from None
        target = self.path(device_id)
        write_key(target, key)
        return target


def export_device_key(data_dir: Path, target: Path) -> None:
    """Copy this (lobby) device's ticket signing key to `target` (mode 0600), creating the key
    if the device has none yet."""
    write_key(target, load_or_create_device_key(data_dir / DEVICE_KEY_FILE))
