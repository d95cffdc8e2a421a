"""Texts that must hold no personal data: an ID number is found in them however it is written,
and a dossier receipt's code is not taken for one."""

from __future__ import annotations

import pytest

from central.csv_cells import csv_cell
from common.id_numbers import holds_id_number


@pytest.mark.parametrize(
    "text",
    [
        "001099012345",
        "001-099-012-345",
        "001 099 012 345",
        "001.099.012.345",
        "013456789",
        "HS001099012345",
        "0 1 3 4 5 6 7 8 9",
    ],
)
def test_an_id_number_is_found(text: str) -> None:
    assert holds_id_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "000.00.21.H26-240101-0001",
        "H26-240101-0001",
        "HS-2024-000123",
        "0010990123456",
        "12345678",
        "A-1",
    ],
)
def test_a_dossier_code_is_not_taken_for_one(text: str) -> None:
    assert not holds_id_number(text)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","a")', "@SUM(1)", "+1", "-1", "\tx"])
def test_a_csv_cell_never_starts_a_formula(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell("cb-01") == "cb-01" and csv_cell(None) == "" and csv_cell(True) == "true"
