"""The text of a citizen ID QR: is it written in Vietnamese letters, and can garbling be undone?

A card's QR holds UTF-8. Readers that decode it as Windows-1252 or Latin-1 (zbar builds,
keyboard-wedge scanners) and pass the result on as UTF-8 turn "Trần" into "Tráº§n" (mojibake).
Such text is repaired only when the repair is provable: mapping every character back to the
single byte it came from must give strict UTF-8, and the result must be made of the characters a
card holds. Ordinary Vietnamese text never passes for mojibake: its letters outside Latin-1 (ầ,
ư, đ...) have no byte to map back to, and a Vietnamese letter inside Latin-1 (à, é...) followed
by ASCII is not valid UTF-8.
"""

from __future__ import annotations

import re
import unicodedata

_VOWELS = "aăâeêioôơuưy"
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def _vietnamese_letters() -> str:
    """The 134 letters with diacritics of the Vietnamese alphabet, lower and upper case."""
    composed = (unicodedata.normalize("NFC", v + m) for v in _VOWELS for m in ("", *_TONE_MARKS))
    lower = "đ" + "".join(letter for letter in composed if not letter.isascii())
    return lower + lower.upper()


VIETNAMESE_LETTERS = _vietnamese_letters()

# What a card's text may hold: printable ASCII and the Vietnamese letters (NFC).
_FOREIGN_CHAR = re.compile(f"[^\x20-\x7e{VIETNAMESE_LETTERS}]")
_NAME = re.compile(f"[A-Za-z{VIETNAMESE_LETTERS}'. -]*")
_LETTER = re.compile(f"[A-Za-z{VIETNAMESE_LETTERS}]")

# Windows-1252 characters in 0x80-0x9F mapped back to their byte (as Latin-1 characters), so that
# one Latin-1 encode undoes either decoding. Bytes that cp1252 leaves undefined (0x81, 0x8D,
# 0x8F, 0x90, 0x9D) already come through as their Latin-1 control characters.
_CP1252_TO_BYTE = {
    ord(char): byte
    for byte in range(0x80, 0xA0)
    if (char := bytes([byte]).decode("cp1252", errors="ignore"))
}


def is_card_text(text: str) -> bool:
    """True if `text` (NFC) holds only printable ASCII and Vietnamese letters."""
    return _FOREIGN_CHAR.search(text) is None


def is_name(text: str) -> bool:
    """Letters, spaces, and the ' . - of some ethnic minority names, with at least one letter."""
    return _NAME.fullmatch(text) is not None and has_letter(text)


def has_letter(text: str) -> bool:
    return _LETTER.search(text) is not None


def repair_mojibake(text: str) -> str | None:
    """`text` with UTF-8 that was decoded as Windows-1252/Latin-1 undone (NFC), or None when the
    repair does not hold: a character with no byte to map back to, invalid UTF-8, or a result that
    is still not card text."""
    try:
        repaired = text.translate(_CP1252_TO_BYTE).encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    repaired = unicodedata.normalize("NFC", repaired)
    return repaired if is_card_text(repaired) else None
