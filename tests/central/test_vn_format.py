"""central.vn_format: figures as Vietnamese officials write them."""

from __future__ import annotations

from datetime import date

import pytest

from central import vn_format


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (999, "999"), (1000, "1.000"), (1234567, "1.234.567"), (-1234, "-1.234")],
)
def test_thousands_are_separated_by_dots(value: int, text: str) -> None:
    assert vn_format.number(value) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (93.83, 1, "93,8"),
        (0.05, 1, "0,1"),  # halves up, as the reports round
        (0.25, 1, "0,3"),
        (1234.56, 1, "1.234,6"),
        (1234.5, 0, "1.235"),
        (2.0, 2, "2,00"),
        (-1.25, 1, "-1,3"),
    ],
)
def test_decimal_comma(value: float, places: int, text: str) -> None:
    assert vn_format.decimal(value, places) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(93.8, "93,8%"), (100.0, "100,0%"), (0.0, "0,0%"), (66.65, "66,7%"), (None, "–")],
)
def test_percent(value: float | None, text: str) -> None:
    assert vn_format.percent(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 giây"),
        (0.4, "0 giây"),
        (44.5, "45 giây"),
        (59.4, "59 giây"),
        (59.5, "1 phút"),
        (60.0, "1 phút"),
        (725.0, "12 phút 5 giây"),
        (3599.0, "59 phút 59 giây"),
        (3600.0, "1 giờ"),
        (3780.0, "1 giờ 3 phút"),
        (3809.0, "1 giờ 3 phút"),
        (3810.0, "1 giờ 4 phút"),
        (7169.0, "1 giờ 59 phút"),
        (7199.0, "2 giờ"),
        (None, "–"),
    ],
)
def test_duration_in_words(seconds: float | None, text: str) -> None:
    assert vn_format.duration(seconds) == text


def test_dates_and_periods() -> None:
    assert vn_format.day(date(2025, 6, 2)) == "02/06/2025"
    assert vn_format.period(date(2025, 6, 1), date(2025, 6, 30)) == "01/06/2025 – 30/06/2025"
    assert vn_format.period(date(2025, 6, 2), date(2025, 6, 2)) == "02/06/2025"
