"""What the scanner read, as the technician's live view shows it, with nothing personal in clear.

The technician holds a card, a ticket or a badge to the scanner to see that it reads; the view
says what kind of code came and enough to tell the scanner works: an ID card by its masked number,
a ticket by its number, a badge as a badge, anything else by its text with long numbers masked,
or by its length when it has fields (it may be a card the parser did not take) or is not text;
then what the scanner wrapped around it (its envelope: "AIM ]Q1, CRLF"), so that a technician
can set up a new model ([scanner] in kiosk.toml, docs/scanners.md).
Nothing described here is stored or logged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from devices import scanner_envelope as envelope
from devices.scanner_envelope import Part, Unwrapped
from kiosk import badges, ticket_signing
from kiosk.citizen_id import InvalidCitizenQR, mask_id, parse
from kiosk.i18n import N_

CARD = N_("ID card {id} (read)")
CARD_REFUSED = N_("ID card QR not accepted ({why}): {count} characters")
# kiosk.citizen_id's refusal codes, in the technician's words (the citizen's are other ones).
REFUSED_WHY = {
    "truncated": N_("cut off"),
    "garbled-text": N_("garbled text"),
    "not-utf8": N_("not UTF-8 text"),
    "empty": N_("empty"),
    "bad-id": N_("ID number not valid"),
    "bad-old-id": N_("old ID number not valid"),
    "bad-name": N_("name not valid"),
    "bad-sex": N_("sex not valid"),
    "bad-address": N_("address not valid"),
    "bad-issued": N_("issue date not valid"),
    "bad-birth": N_("birth date not valid"),
}
SOME_FIELD = N_("a field not valid")
TICKET = N_("ticket code {label}")
BADGE = N_("an officer badge")
FIELDS = N_("a code with {fields} fields: {count} characters")
OTHER = N_("other code: {text}")
UNREADABLE = N_("not readable: {count} characters")
WITH_ENVELOPE = N_("{reading}; around it: {envelope}")
# The parts of an envelope (devices.scanner_envelope), in the technician's words.
PART_WORDS = {
    envelope.AIM: N_("AIM {detail}"),
    envelope.BOM: N_("byte-order mark"),
    envelope.PADDING: N_("padding"),
    envelope.FRAMING: N_("{detail} framing"),
    envelope.PREFIX: N_("the set prefix"),
    envelope.TRAILER: N_("the set suffix"),
}
ECI_DECODED = N_("ECI {detail} ({charset})")
ECI_NOT_DECODED = N_("ECI {detail} (not decoded)")

SHOWN_CHARS = 60  # of another code's text
_LONG_NUMBER = re.compile(r"[0-9]{5,}")
_TICKET_LABEL = re.compile(r"[A-Z]{0,3}[0-9]{1,6}")


@dataclass(frozen=True)
class ScanReading:
    """`msgid` (translated where shown) formatted with `values`; a value that is itself a msgid
    (`why`) is translated too. `around`: the envelope's parts, named after the reading."""

    msgid: str
    values: dict[str, object] = field(default_factory=dict)
    around: tuple[Part, ...] = ()

    def render(self, gettext: Callable[[str], str]) -> str:
        """In the words of `gettext` (a translator's)."""
        values = {k: gettext(v) if k == "why" else v for k, v in self.values.items()}
        reading = gettext(self.msgid).format(**values)
        if not self.around:
            return reading
        words = envelope_words(self.around, gettext)
        return gettext(WITH_ENVELOPE).format(reading=reading, envelope=words)


def envelope_words(parts: tuple[Part, ...], gettext: Callable[[str], str]) -> str:
    """An envelope's parts in the words of `gettext`: "AIM ]Q1, ECI 000026 (utf-8), CRLF"."""
    return ", ".join(_part_words(part, gettext) for part in parts)


def _part_words(part: Part, gettext: Callable[[str], str]) -> str:
    if part.kind == envelope.LINE_END:
        return part.detail  # CRLF, TAB, ETX...: the manuals' names
    if part.kind == envelope.ECI:
        msgid = ECI_DECODED if part.charset else ECI_NOT_DECODED
    else:
        msgid = PART_WORDS[part.kind]
    return gettext(msgid).format(detail=part.detail, charset=part.charset)


def describe_scan(read: Unwrapped) -> ScanReading:
    """What `read` (one line from the scanner, its envelope taken off) is, for the technician's
    screen."""
    return dataclasses.replace(_describe(read.payload), around=read.parts)


def _describe(payload: bytes) -> ScanReading:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return ScanReading(UNREADABLE, {"count": len(payload)})
    try:
        return ScanReading(CARD, {"id": parse(text).masked_id})
    except InvalidCitizenQR as refused:
        if refused.code != "not-id-card":
            why = REFUSED_WHY.get(refused.code, SOME_FIELD)
            return ScanReading(CARD_REFUSED, {"why": why, "count": len(text)})
    parts = text.split("|")
    if parts[0] == ticket_signing.MAGIC and len(parts) == 6 and _TICKET_LABEL.fullmatch(parts[3]):
        return ScanReading(TICKET, {"label": parts[3]})
    if parts[0] == badges.MAGIC:
        return ScanReading(BADGE)
    if len(parts) > 1:
        return ScanReading(FIELDS, {"fields": len(parts), "count": len(text)})
    if not text.isprintable():
        return ScanReading(UNREADABLE, {"count": len(text)})
    shown = _LONG_NUMBER.sub(lambda number: mask_id(number.group()), text[:SHOWN_CHARS])
    return ScanReading(OTHER, {"text": shown + ("…" if len(text) > SHOWN_CHARS else "")})
