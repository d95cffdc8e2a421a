"""Officer badges: a printed QR an officer scans at a counter to sign in without a PIN.

Payload (ASCII): `VNB1|<office>|<officer_id>|<sig>`, where sig is base32 (no padding) of
HMAC-SHA256(office badge key, everything before the last "|"), truncated to 10 bytes. The badge
key (`<data_dir>/badge.key`, 32 bytes, mode 0600) is one per office: made on the first device by
`kiosk badge-key --export FILE` and installed on the others with `kiosk badge-key --import FILE`.
A lost badge is refused by setting `badge = false` for its officer in officers.toml (or by
changing the office's badge key, which voids every badge).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from contextlib import suppress
from pathlib import Path

from common.key_files import load_or_create_key, read_key, write_key

MAGIC = "VNB1"
SIG_BYTES = 10
BADGE_KEY_FILE = "badge.key"
BADGE_KEY = "the office badge key"

_OFFICE = re.compile(r"[0-9]{5}")
_OFFICER = re.compile(r"[a-z0-9-]{1,32}")
_SIG = re.compile(r"[A-Z2-7]{16}")


class InvalidBadge(Exception):
    """A scanned payload is not a badge of this office that this device can trust."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _signature(key: bytes, signed_text: str) -> str:
    digest = hmac.new(key, signed_text.encode("ascii"), hashlib.sha256).digest()[:SIG_BYTES]
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def sign_badge(*, office: str, officer_id: str, key: bytes) -> str:
    """The QR payload of an officer's badge."""
    if not (_OFFICE.fullmatch(office) and _OFFICER.fullmatch(officer_id)):
        raise ValueError(f"cannot sign a badge for officer {officer_id!r} of office {office!r}")
    signed_text = f"{MAGIC}|{office}|{officer_id}"
    return f"{signed_text}|{_signature(key, signed_text)}"


def verify_badge(payload: str, *, office: str, key: bytes) -> str:
    """The officer id of a genuine badge of `office`, or InvalidBadge."""
    payload = payload.strip()
    parts = payload.split("|")
    if not payload.isascii() or len(parts) != 4 or parts[0] != MAGIC:
        raise InvalidBadge("not an officer badge")
    _, badge_office, officer_id, sig = parts
    if not (
        _OFFICE.fullmatch(badge_office) and _OFFICER.fullmatch(officer_id) and _SIG.fullmatch(sig)
    ):
        raise InvalidBadge("malformed officer badge")
    if badge_office != office:
        raise InvalidBadge(f"a badge of office {badge_office}, not of this office ({office})")
    if not hmac.compare_digest(_signature(key, payload.rsplit("|", 1)[0]), sig):
        raise InvalidBadge("badge signature does not match")
    return officer_id


def badge_key(data_dir: Path) -> bytes | None:
    """This device's copy of the office badge key; None when none was installed."""
    with suppress(FileNotFoundError):
        return read_key(data_dir / BADGE_KEY_FILE, BADGE_KEY)
    return None


def export_badge_key(data_dir: Path, target: Path) -> bool:
    """Copy the office badge key to `target` (mode 0600), making one if this device has none;
    returns whether it was made now."""
    key, created = load_or_create_key(data_dir / BADGE_KEY_FILE, BADGE_KEY)
    write_key(target, key)
    return created


def import_badge_key(data_dir: Path, source: Path) -> None:
    """Install the office badge key from `source`, replacing this device's."""
    try:
        key = read_key(source, "the badge key file")
    except FileNotFoundError:
        raise FileNotFoundError(f"{source}: no such file") from None
    write_key(data_dir / BADGE_KEY_FILE, key)
