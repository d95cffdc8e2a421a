"""One cell of the server's CSV exports. A text a spreadsheet would run as a formula (starting
with = + - @, a tab or a carriage return: an officer id or a dossier code comes from a device)
is written with a leading apostrophe, as OWASP advises against CSV injection."""

from __future__ import annotations

from datetime import date, datetime

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return str(value)
