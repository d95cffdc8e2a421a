"""The number reader says ticket numbers as a Northern speaker does, in each style."""

from __future__ import annotations

import pytest

from kiosk.number_words import (
    MAX_NUMBER,
    label_words,
    letter_words,
    number_words,
    vocabulary,
)

# number: (linh style, lẻ style); checked against usage (issue 11's list and more).
READINGS = {
    0: "không",
    1: "một",
    4: "bốn",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    30: "ba mươi",
    55: "năm mươi lăm",
    99: "chín mươi chín",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt",
    1000: "một nghìn",
    1001: "một nghìn không trăm linh một",
    1010: "một nghìn không trăm mười",
    1015: "một nghìn không trăm mười lăm",
    1023: "một nghìn không trăm hai mươi ba",
    1100: "một nghìn một trăm",
    1105: "một nghìn một trăm linh năm",
    2000: "hai nghìn",
    9999: "chín nghìn chín trăm chín mươi chín",
    10000: "mười nghìn",
    10005: "mười nghìn không trăm linh năm",
    21000: "hai mươi mốt nghìn",
    105000: "một trăm linh năm nghìn",
    999999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
    1000000: "một triệu",
    1000023: "một triệu không trăm hai mươi ba",
    1005000: "một triệu không trăm linh năm nghìn",
}


@pytest.mark.parametrize(("number", "reading"), READINGS.items())
def test_numbers_read_as_words_with_linh(number: int, reading: str) -> None:
    assert " ".join(number_words(number, "linh")) == reading


@pytest.mark.parametrize(("number", "reading"), READINGS.items())
def test_the_le_style_says_le_where_linh_is(number: int, reading: str) -> None:
    assert " ".join(number_words(number, "le")) == reading.replace("linh", "lẻ")


@pytest.mark.parametrize(
    ("number", "reading"),
    [
        (0, "không"),
        (1, "một"),
        (15, "một năm"),
        (24, "hai bốn"),
        (101, "một không một"),
        (1023, "một không hai ba"),
        (2000, "hai không không không"),
        (999999, "chín chín chín chín chín chín"),
    ],
)
def test_the_digits_style_reads_each_digit(number: int, reading: str) -> None:
    assert " ".join(number_words(number, "digits")) == reading


def test_every_number_up_to_a_million_is_words_from_the_vocabulary() -> None:
    """No digit ever reaches the engine, and a voice pack with the vocabulary says them all."""
    for style in ("linh", "le"):
        words = set(vocabulary(style))
        for number in [*range(0, 2100), *range(2100, 1_000_000, 997), MAX_NUMBER]:
            said = number_words(number, style)
            assert said and set(said) <= words, (number, said)


@pytest.mark.parametrize(
    ("label", "style", "reading"),
    [
        ("1023", "linh", "một nghìn không trăm hai mươi ba"),
        ("A012", "linh", "a mười hai"),
        ("A012", "digits", "a không một hai"),
        ("B105", "le", "bê một trăm lẻ năm"),
        ("C001", "linh", "xê một"),
        ("D000", "linh", "dê không"),
        ("LS21", "linh", "e lờ ét xì hai mươi mốt"),
        ("0007", "linh", "bảy"),
        ("0007", "digits", "không không không bảy"),
    ],
)
def test_ticket_labels_read_letters_by_name_and_the_number_by_value(
    label: str, style: str, reading: str
) -> None:
    assert " ".join(label_words(label, style)) == reading


def test_every_letter_a_prefix_may_hold_has_a_name() -> None:
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        assert letter_words(letter)
        assert set(letter_words(letter)) <= set(vocabulary())


@pytest.mark.parametrize("bad", [-1, MAX_NUMBER + 1, True, 1.5])
def test_numbers_outside_the_range_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="a number from 0"):
        number_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "A", "12A", "Ä12", "1 2", "١٢"])
def test_labels_that_are_not_letters_then_digits_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        label_words(bad)


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style must be one of linh, le, digits"):
        number_words(1, "southern")
