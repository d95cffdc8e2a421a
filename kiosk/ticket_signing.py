"""The ticket's QR code: a short signed reference, so a counter can trust a scanned ticket.

Payload (ASCII, about 45 characters, a small QR):
    VNQ1|<office>|<YYYYMMDD>|<label>|<device_id>|<sig>
where sig is base32 (no padding) of HMAC-SHA256(device key, everything before the last "|"),
truncated to 10 bytes. It identifies a ticket and nothing else: nothing personal ever goes in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from common.key_files import KeyFileError, load_or_create_key
from kiosk.i18n import N_

log = logging.getLogger(__name__)

KEY_BYTES = 32
MAGIC = "VNQ1"
SIG_BYTES = 10

_OFFICE = re.compile(r"[0-9]{5}")
_DAY = re.compile(r"[0-9]{8}")
_LABEL = re.compile(r"[A-Z]{0,3}[0-9]{1,6}")
_DEVICE = re.compile(r"[a-z0-9-]{1,32}")
_SIG = re.compile(r"[A-Z2-7]{16}")


class DeviceKeyError(Exception):
    """The device key file exists but cannot be used."""


class InvalidTicket(Exception):
    """A scanned payload is not a ticket this office can trust.

    `message` is a msgid (a phrase) and `values` fill it; `reason` is the English text, for
    logs and technicians."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        self.reason = message.format(**values)
        super().__init__(self.reason)


@dataclass(frozen=True)
class TicketRef:
    """What a verified ticket QR says: enough to find the ticket, nothing more."""

    office: str
    day: date
    label: str
    device_id: str


def load_or_create_device_key(path: Path) -> bytes:
    """Return the device's signing key, creating it (mode 0600) on first use (see key_files:
    a crash or a concurrent creator never leaves a short key or two different keys)."""
    try:
        return load_or_create_key(path, "the device key")[0]
    except KeyFileError as error:
        raise DeviceKeyError(
            f"{error}; move the file away to create a new key (tickets signed with the old key"
            " will no longer verify)"
        ) from None


def _signature(key: bytes, signed_text: str) -> str:
    digest = hmac.new(key, signed_text.encode("ascii"), hashlib.sha256).digest()[:SIG_BYTES]
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def sign_ticket(*, office: str, day: date, label: str, device_id: str, key: bytes) -> str:
    """The QR payload for one ticket."""
    signed_text = "|".join((MAGIC, office, day.strftime("%Y%m%d"), label, device_id))
    if not (_OFFICE.fullmatch(office) and _LABEL.fullmatch(label) and _DEVICE.fullmatch(device_id)):
        raise ValueError(f"cannot sign ticket reference {signed_text!r}")
    return f"{signed_text}|{_signature(key, signed_text)}"


def verify_ticket(payload: str, key_for_device: Callable[[str], bytes | None]) -> TicketRef:
    """Check a scanned payload and return what it refers to, or raise `InvalidTicket`."""
    payload = payload.strip()
    if not payload.isascii():
        raise InvalidTicket(N_("not a ticket: non-ASCII text"))
    parts = payload.split("|")
    if len(parts) != 6 or parts[0] != MAGIC:
        raise InvalidTicket(N_("not a ticket code"))
    _, office, day_text, label, device_id, sig = parts
    if not (
        _OFFICE.fullmatch(office)
        and _DAY.fullmatch(day_text)
        and _LABEL.fullmatch(label)
        and _DEVICE.fullmatch(device_id)
        and _SIG.fullmatch(sig)
    ):
        raise InvalidTicket(N_("malformed ticket code"))
    try:
        day = datetime.strptime(day_text, "%Y%m%d").date()
    except ValueError:
        raise InvalidTicket(N_("malformed ticket code: bad date")) from None
    key = key_for_device(device_id)
    if key is None:
        raise InvalidTicket(N_("ticket from an unknown device {device}"), device=repr(device_id))
    expected = _signature(key, payload.rsplit("|", 1)[0])
    if not hmac.compare_digest(expected, sig):
        raise InvalidTicket(N_("ticket signature does not match"))
    return TicketRef(office=office, day=day, label=label, device_id=device_id)
