"""What an imager wraps around a code's data, taken off: the envelope of one scanned line.

Imagers can send, around the data of a code (in the order a Newland or Honeywell manual gives):
a custom prefix and/or a Code ID (one or more letters naming the symbology, e.g. Honeywell "s"
for QR), an AIM symbology identifier (`]Q1`: flag, code letter, modifier; ISO/IEC 15424), the data
(under the ECI protocol: `\\nnnnnn` where the code declares its character set, every data
backslash doubled), a custom suffix and the line end (CR, LF, CRLF, TAB, ETX...). Some add
padding (spaces, NUL, 0xFF), a UTF-8 byte-order mark, or STX/ETX framing.

`unwrap` takes off what can be told from data safely and names each part it found, so the
technician can set up a new model. None of our codes (a card's text starts with 12 digits, the
ticket's and the badge's with their VNQ1/VNB1 tags) can start with `]`, `\\`, STX, a BOM or
padding, or end in a control character, so "auto" detection cannot eat into them. A Code ID or
a custom prefix/suffix can be anything, so it is never guessed: the site sets it (`prefix`,
`trailer` in [scanner]) and it is taken off only where it is.

The ECI protocol is read only when the AIM modifier says it is in force (QR `]Q2`, `]Q4`,
`]Q6`) or, without an AIM id, when the line starts with an ECI designator; otherwise a
backslash is data. The data of each ECI segment is decoded with its character set and handed on
as UTF-8 (a card is UTF-8, ECI 000026, or undeclared); an ECI whose bytes do not decode, or an
unknown one, leaves that segment's bytes as they are, for the parser to refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Envelope = Literal["auto", "none"]
ENVELOPES = ("auto", "none")

# The kinds of Part, for the technician's words (kiosk.scan_reading).
AIM = "aim"  # detail: the identifier, "]Q1"
ECI = "eci"  # detail: the designator's 6 digits; charset: the character set's name, "" unknown
BOM = "bom"
PADDING = "padding"
FRAMING = "framing"  # STX before the data
PREFIX = "prefix"  # the configured prefix
TRAILER = "trailer"  # the configured trailer
LINE_END = "line-end"  # detail: "CRLF", "LF", "TAB", "ETX+CRLF"...

# The character sets of the AIM ECI assignments that Python decodes (AIM ITS/04-023).
ECI_CHARSETS = {
    1: "iso8859-1",
    2: "cp437",
    3: "iso8859-1",
    **{number: f"iso8859-{number - 2}" for number in range(4, 19) if number != 14},
    20: "shift_jis",
    21: "cp1250",
    22: "cp1251",
    23: "cp1252",
    24: "cp1256",
    25: "utf-16-be",
    26: "utf-8",
    27: "ascii",
    28: "big5",
    29: "gb18030",
    30: "euc_kr",
}
_AIM_ID = re.compile(rb"\][A-Za-z][0-9A-Za-z]")
_QR_ECI_MODIFIERS = b"246"  # ISO/IEC 18004: ]Q2, ]Q4, ]Q6 = ECI protocol implemented
_ECI_ESCAPE = re.compile(rb"\\(?:\\|([0-9]{6}))")
_ECI_DESIGNATOR = re.compile(rb"\\[0-9]{6}")
_BOM = b"\xef\xbb\xbf"
_PAD = b" \x00\xff"
_END = b"\r\n\t\x03\x04"
_END_NAMES = {b"\r\n": "CRLF", b"\n\r": "LFCR", b"\r": "CR", b"\n": "LF", b"\t": "TAB"}
_END_NAMES |= {b"\x03": "ETX", b"\x04": "EOT"}
_END_PIECE = re.compile(rb"\r\n|\n\r|[\r\n\t\x03\x04]")
_STX = b"\x02"


@dataclass(frozen=True, slots=True)
class Part:
    """One thing found around the data: `kind` (AIM, ECI...), its `detail` and, for an ECI, the
    name of its character set ("" when not known or its bytes did not decode)."""

    kind: str
    detail: str = ""
    charset: str = ""


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The code's data (UTF-8 where an ECI was decoded) and what was around it, in order."""

    payload: bytes
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvelopeSettings:
    """[scanner] envelope, prefix, trailer (kiosk.config.device)."""

    envelope: Envelope = "auto"
    prefix: bytes = b""
    trailer: bytes = b""


AUTO = EnvelopeSettings()  # the default: what can be told from data, nothing set


def unwrap(line: bytes, settings: EnvelopeSettings = AUTO) -> Unwrapped:
    """`line` as the imager sent it (its line end included or not), without its envelope."""
    parts: list[Part] = []
    data, ending = _split_end(line, settings.envelope)
    padded = len(data) + len(ending) != len(line)  # padding among the line end's characters
    end = [Part(LINE_END, _end_name(ending))] if ending else []
    if settings.trailer and data.endswith(settings.trailer):
        data = data[: -len(settings.trailer)]
        end.insert(0, Part(TRAILER))
    if settings.envelope == "auto":
        unpadded = data.strip(_PAD)
        if padded or len(unpadded) != len(data):
            parts.append(Part(PADDING))
        data = unpadded
        if data.startswith(_STX):
            data = data[1:]
            parts.append(Part(FRAMING, "STX"))
    if settings.prefix and data.startswith(settings.prefix):
        data = data[len(settings.prefix) :]
        parts.append(Part(PREFIX))
    if settings.envelope == "auto":
        data = _strip_aim_bom_eci(data, parts)
    return Unwrapped(data, tuple(parts + end))


def _split_end(line: bytes, envelope: Envelope) -> tuple[bytes, bytes]:
    """The line without its line end, and that line end. In "auto", a line end is any run of
    CR, LF, TAB, ETX and EOT, and the padding among them is taken off too (not returned)."""
    if envelope == "none":
        data = line.rstrip(b"\r\n")
        return data, line[len(data) :]
    data = line.rstrip(_END + _PAD)
    return data, bytes(byte for byte in line[len(data) :] if byte not in _PAD)


def _end_name(ending: bytes) -> str:
    return "+".join(_END_NAMES[piece] for piece in _END_PIECE.findall(ending))


def _strip_aim_bom_eci(data: bytes, parts: list[Part]) -> bytes:
    eci_protocol = False
    if (aim := _AIM_ID.match(data)) is not None:
        identifier = aim.group()
        parts.append(Part(AIM, identifier.decode("ascii")))
        data = data[3:]
        eci_protocol = identifier[1:2] == b"Q" and identifier[2] in _QR_ECI_MODIFIERS
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
        parts.append(Part(BOM))
    if eci_protocol or _ECI_DESIGNATOR.match(data) is not None:
        data = _read_eci(data, parts)
    if data.startswith(_BOM):  # some imagers put it after the ECI designator
        data = data[len(_BOM) :]
        parts.append(Part(BOM))
    return data


def _read_eci(data: bytes, parts: list[Part]) -> bytes:
    """The data under the ECI protocol: each segment decoded from its character set to UTF-8
    (before any designator: UTF-8, as our cards), doubled backslashes made single."""
    out = bytearray()
    designator = ""  # of the segment being read; "": none yet (UTF-8)
    segment = bytearray()
    position = 0
    for escape in _ECI_ESCAPE.finditer(data):
        segment += data[position : escape.start()]
        position = escape.end()
        if escape.group(1) is None:
            segment += b"\\"
        else:
            out += _segment(designator, bytes(segment), parts)
            designator, segment = escape.group(1).decode("ascii"), bytearray()
    segment += data[position:]
    out += _segment(designator, bytes(segment), parts)
    return bytes(out)


def _segment(designator: str, segment: bytes, parts: list[Part]) -> bytes:
    """One ECI segment as UTF-8 where its character set allows; its Part added."""
    if not designator:
        return segment
    charset = ECI_CHARSETS.get(int(designator))
    decoded = None if charset is None else _decoded(segment, charset)
    parts.append(Part(ECI, designator, charset if decoded is not None else ""))
    return segment if decoded is None else decoded


def _decoded(segment: bytes, charset: str) -> bytes | None:
    """`segment` re-encoded from `charset` to UTF-8; None when its bytes do not decode."""
    try:
        return segment.decode(charset).encode("utf-8")
    except UnicodeDecodeError:
        return None
