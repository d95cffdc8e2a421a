"""The provisioning code: what `kiosk-central enroll-code` puts in a QR for one device, and what
the device's setup screen and `kiosk provision --qr-text` read from it (docs/provisioning.md).

Text form: `KIOSKPROV1:` followed by the unpadded base64url of a UTF-8 JSON object:

    api      the central server's address, as the device reaches it (https://…)
    ca       SHA-256 of the city CA's certificate (DER), 64 hex digits; "" = system authorities
    office   the 5-digit ward code;  date: its code-list date (YYYY-MM-DD)
    name     the office's name, with its diacritics (so that nobody types it on a touchscreen)
    role     lobby | counter | display;  counter: the counter number (counter role only)
    device   the device id;  code: the one-time enrolment code

Base64 keeps the QR in the imager's safest character set whatever the name holds. Anything else
a scanner reads (a citizen ID card's `|`-separated text, a URL, a ticket, a damaged or cut read)
is refused with one plain sentence. The server and the devices share this module.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date

PREFIX = "KIOSKPROV1:"
ROLES = ("lobby", "counter", "display")

_OFFICE = re.compile(r"[0-9]{5}")
_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_AIM_IDENTIFIER = re.compile(r"\][A-Za-z][0-9]")  # an imager's symbology prefix, e.g. "]Q1"
_KEYS = {"api", "ca", "office", "date", "name", "role", "counter", "device", "code"}
_MAX_TEXT = 200  # characters in any one value


class ProvisioningCodeError(ValueError):
    """Not a provisioning code, or a damaged one; the message is one plain sentence."""


@dataclass(frozen=True)
class ProvisioningCode:
    api_url: str
    ca_sha256: str  # "" = the system's certificate authorities
    office: str
    code_list_date: date
    office_name: str
    role: str
    counter: int | None
    device_id: str
    code: str  # the one-time enrolment code

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ProvisioningCodeError(f"This provisioning code is not valid: {problem}.")

    def to_text(self) -> str:
        """The text to put in the QR."""
        record = {
            "api": self.api_url,
            "ca": self.ca_sha256,
            "office": self.office,
            "date": self.code_list_date.isoformat(),
            "name": self.office_name,
            "role": self.role,
            "device": self.device_id,
            "code": self.code,
        }
        if self.counter is not None:
            record["counter"] = self.counter
        compact = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return PREFIX + base64.urlsafe_b64encode(compact.encode()).decode().rstrip("=")


def is_provisioning_text(text: str) -> bool:
    """Whether a scanned line is meant as a provisioning code (valid or not)."""
    return _bare(text).startswith(PREFIX)


def parse_provisioning_code(text: str) -> ProvisioningCode:
    """The code in `text` as a scanner or a command line gives it."""
    bare = _bare(text)
    if not bare.startswith(PREFIX):
        raise ProvisioningCodeError(
            "This is not a provisioning code: scan the QR that `kiosk-central enroll-code`"
            f" printed (its text starts with {PREFIX})."
        )
    payload = bare[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        record = json.loads(raw.decode())
    except (binascii.Error, ValueError):
        raise ProvisioningCodeError(
            "This provisioning code is damaged or was read only in part; scan it again."
        ) from None
    if not isinstance(record, dict) or set(record) - _KEYS:
        raise ProvisioningCodeError(
            "This provisioning code is not one this device understands; make a new one with"
            " `kiosk-central enroll-code`."
        )
    try:
        moment = date.fromisoformat(record.get("date", ""))
    except (TypeError, ValueError):
        raise ProvisioningCodeError(
            "This provisioning code is not valid: the code-list date is not a date YYYY-MM-DD."
        ) from None
    counter = record.get("counter")
    return ProvisioningCode(
        api_url=record.get("api"),
        ca_sha256=record.get("ca", ""),
        office=record.get("office"),
        code_list_date=moment,
        office_name=record.get("name"),
        role=record.get("role"),
        counter=counter,
        device_id=record.get("device"),
        code=record.get("code"),
    )


def _bare(text: str) -> str:
    text = text.strip()
    if _AIM_IDENTIFIER.match(text):
        text = text[3:]
    return text


def _problem(code: ProvisioningCode) -> str:
    """What is wrong with a code's values, "" when nothing is."""
    texts = (code.api_url, code.ca_sha256, code.office, code.office_name, code.device_id)
    if not all(isinstance(t, str) and len(t) <= _MAX_TEXT for t in (*texts, code.code)):
        return "a value is missing or too long"
    if not code.api_url.startswith(("https://", "http://")):
        return "the server address is not an http(s):// address"
    if code.ca_sha256 and not _FINGERPRINT.fullmatch(code.ca_sha256):
        return "the CA fingerprint is not 64 lowercase hex digits"
    if not _OFFICE.fullmatch(code.office):
        return "the office code is not 5 digits"
    if not code.office_name.strip():
        return "the office name is empty"
    if code.role not in ROLES:
        return f"the role is not one of {', '.join(ROLES)}"
    counter_ok = isinstance(code.counter, int) and not isinstance(code.counter, bool)
    if code.role == "counter" and not (counter_ok and 1 <= code.counter <= 999):
        return "a counter device needs a counter number from 1 to 999"
    if code.role != "counter" and code.counter is not None:
        return "only a counter device has a counter number"
    if not _DEVICE_ID.fullmatch(code.device_id):
        return "the device id is not 1 to 32 of a-z, 0-9 and '-'"
    if not code.code.strip():
        return "the enrolment code is empty"
    return ""
