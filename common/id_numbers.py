"""Whether a text that should hold no personal data holds an ID number: the 12 digits of a số
định danh (also written in groups, "001 099 012 345", "001-099-012-345"), or, as the whole text,
the 9 digits of an old CMND. Used where a code typed or scanned by an officer must never carry
one (the dossier code), on the counter and again on the server."""

from __future__ import annotations

import re

# 12 digits in a row, or as four groups of three with one kind of separator, not inside a longer
# run of digits (a receipt's "H26-240101-0001" has 12 digits among dashes, not grouped so).
_ID_12 = re.compile(r"(?<![0-9])(?:[0-9]{12}|[0-9]{3}([ .-])[0-9]{3}\1[0-9]{3}\1[0-9]{3})(?![0-9])")
_SEPARATORS = re.compile(r"[ .-]")


def holds_id_number(text: str) -> bool:
    if _ID_12.search(text):
        return True
    digits = _SEPARATORS.sub("", text)
    return digits.isascii() and digits.isdigit() and len(digits) in (9, 12)
