"""Numbers, percents, durations and dates as Vietnamese officials write them in a report: a
decimal comma, "." between thousands (1.234), a percent sign close to its number ("93,8%", the
way the report page has always written it), durations in words ("12 phút 5 giây", "1 giờ 3
phút"), dates dd/mm/yyyy. One way for every page and document the server makes; "–" stands for
a figure that does not exist (no ballot, no called ticket)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MISSING = "–"


def number(value: int) -> str:
    """1234567 → "1.234.567"; -1234 → "-1.234"."""
    return f"{value:,}".replace(",", ".")


def decimal(value: float, places: int = 1) -> str:
    """1234.56 → "1.234,6" (halves up, as the reports round); `places` 0 gives an integer."""
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    text = sign + number(int(whole))
    return f"{text},{fraction}" if places > 0 else text


def percent(value: float | None) -> str:
    """75.0 → "75,0%"; None → "–" (no ballot, no visit asked, no session)."""
    return MISSING if value is None else decimal(value) + "%"


def duration(seconds: float | None) -> str:
    """A waiting or service time in words, to the second below an hour ("45 giây", "12 phút 5
    giây", "12 phút") and to the nearest minute from an hour ("1 giờ 3 phút", "2 giờ"); seconds
    are rounded halves up first, minutes too. None → "–"."""
    if seconds is None:
        return MISSING
    whole = int(Decimal(repr(seconds)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if whole < 60:
        return f"{whole} giây"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} phút" + (f" {rest} giây" if rest else "")
    hours, minutes = divmod((whole + 30) // 60, 60)
    return f"{number(hours)} giờ" + (f" {minutes} phút" if minutes else "")


def day(value: date) -> str:
    """date(2025, 6, 2) → "02/06/2025"."""
    return value.strftime("%d/%m/%Y")


def period(first: date, last: date) -> str:
    """ "01/06/2025 – 30/06/2025"; one day alone is written once."""
    return day(first) if first == last else f"{day(first)} – {day(last)}"
