"""The citizen ID QR parser against the shared samples, and the rules each sample stands for."""

from __future__ import annotations

import logging
import unicodedata
from datetime import date

import pytest

from kiosk import citizen_id
from kiosk.citizen_id import CitizenID, InvalidCitizenQR, mask_id, parse
from kiosk.citizen_id_provinces import PROVINCES
from kiosk.citizen_id_samples import Sample, load_samples, unescape
from kiosk.citizen_id_text import is_card_text
from tests.support.processes import REPO_ROOT

SAMPLES_FILE = REPO_ROOT.parent / "shared" / "data" / "cccd_samples.txt"
KEYS = {"id", "old_id", "name", "birth", "sex", "address", "issued", "warnings"}
TODAY = date(2026, 6, 1)
VALID = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34, Phường Đại Mỗ, Hà Nội"
    "|20042021"
)


def shared_samples() -> list[Sample]:
    if not SAMPLES_FILE.is_file():
        pytest.fail(
            f"{SAMPLES_FILE} is missing: the shared data folder must be checked out beside the"
            " repository (../shared)",
            pytrace=False,
        )
    return load_samples(SAMPLES_FILE)


def with_field(index: int, value: str, payload: str = VALID) -> str:
    fields = payload.split("|")
    fields[index] = value
    return "|".join(fields)


def rejection(payload: bytes | str) -> InvalidCitizenQR:
    with pytest.raises(InvalidCitizenQR) as error:
        parse(payload, today=TODAY)
    return error.value


@pytest.mark.parametrize("sample", shared_samples(), ids=lambda sample: sample.case)
def test_every_shared_sample_is_parsed_as_the_file_expects(sample: Sample) -> None:
    if sample.expect == "reject":
        assert rejection(sample.payload).reason
        return
    try:
        card = parse(sample.payload)
    except InvalidCitizenQR:
        assert sample.expect == "ok-or-reject"
        return
    read = card.as_dict()
    assert set(read) == KEYS
    assert {key: read[key] for key in sample.fields} == sample.fields
    assert all(is_card_text(read[key]) for key in ("name", "address"))
    if sample.expect == "ok":
        assert read["warnings"] == []
    elif sample.expect == "warn":
        assert read["warnings"]


def test_the_demo_cards_the_loader_defaults_to_are_the_shared_samples() -> None:
    """The demo ships its own copy (product code reads nothing outside the repository)."""
    assert load_samples() == shared_samples()


def test_a_card_reads_into_the_sample_formats() -> None:
    card = parse(VALID.encode(), today=TODAY)
    assert card.as_dict() == {
        "id": "001099012345",
        "old_id": "013456789",
        "name": "Nguyễn Văn Mẫu",
        "birth": "1999-03-15",
        "sex": "M",
        "address": "Số 12 ngõ 34, Phường Đại Mỗ, Hà Nội",
        "issued": "2021-04-20",
        "warnings": [],
    }
    assert card.issued == date(2021, 4, 20)
    assert card.extra == ()


def test_new_card_fields_after_the_seventh_are_kept_but_not_checked_for_meaning() -> None:
    card = parse(VALID + "||Nguyễn Văn Cha|Trần Thị Mẹ|", today=TODAY)
    assert card.extra == ("", "Nguyễn Văn Cha", "Trần Thị Mẹ")
    assert "extra" not in card.as_dict()


def test_a_2026_card_with_the_old_cmnd_and_empty_fields_at_the_end_reads_by_its_first_seven() -> (
    None
):
    # Cards from March 2026 carry the old 9-digit CMND in field 1; cards from 2025 have more
    # than seven fields, often empty at the end: neither moves the first seven.
    payload = "036099001234|160123456|Lê Thị Hai|01012000|Nữ|Thôn Đông, Xã Hải Hậu, Tỉnh Ninh Bình"
    card = parse(payload + "|15032026" + "|" * 6, today=date(2026, 4, 1))
    assert (card.old_id, card.issued, card.extra) == ("160123456", date(2026, 3, 15), ())
    card = parse(payload + "|15032026||x||", today=date(2026, 4, 1))
    assert card.extra == ("", "x")


@pytest.mark.parametrize(
    "address",
    [
        "Thôn Đông, Xã Hải Hậu, Tỉnh Ninh Bình",  # two levels since July 2025: no district
        "Số 5 Ngõ 1, Phường Ba Đình, Hà Nội",
        "Tổ 3, Phường Sài Gòn, Thành phố Hồ Chí Minh",
        "Bản Nà Pàn, Xã Mường Lát, Tỉnh Thanh Hóa",
    ],
)
def test_addresses_without_a_district_are_accepted(address: str) -> None:
    assert parse(with_field(5, address), today=TODAY).address == address


def test_decomposed_text_is_returned_composed() -> None:
    card = parse(unicodedata.normalize("NFD", VALID), today=TODAY)
    assert card.name == "Nguyễn Văn Mẫu"
    assert unicodedata.is_normalized("NFC", card.address)


def test_spaces_inside_the_name_and_address_are_tidied() -> None:
    card = parse(with_field(2, "  Nguyễn   Văn Mẫu "), today=TODAY)
    assert card.name == "Nguyễn Văn Mẫu"


def test_ethnic_minority_names_with_apostrophes_are_accepted() -> None:
    assert parse(with_field(2, "H'Hen Niê"), today=TODAY).name == "H'Hen Niê"


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "not-id-card", "NOT_AN_ID_CARD"),
        ("MST|0101234567|Công ty Mẫu|01012020|x|Hà Nội|01012021", "not-id-card", "NOT_AN_ID_CARD"),
        ("WIFI:S:Phuong Dai Mo;T:WPA;P:12345678;;", "not-id-card", "NOT_AN_ID_CARD"),
        ("001099012345|013456789|Nguyễn Văn", "truncated", "UNREADABLE"),
        ("\r\n", "empty", "UNREADABLE"),
        (b"001099012345||Tr\xe0n|15031999|Nam|H\xe0 N\xf4i|20042021", "not-utf8", "UNREADABLE"),
        ("x" * 5000, "not-id-card", "NOT_AN_ID_CARD"),
    ],
)
def test_codes_that_are_not_a_card_say_what_to_do(
    payload: str | bytes, code: str, reason: str
) -> None:
    error = rejection(payload)
    assert (error.code, error.reason) == (code, getattr(citizen_id, reason))


@pytest.mark.parametrize(
    ("index", "value", "code"),
    [
        (0, "00109901234", "bad-id"),
        (0, "0010990123456", "bad-id"),
        (1, "01345678", "bad-old-id"),
        (1, "01345678x", "bad-old-id"),
        (2, "", "bad-name"),
        (2, "Nguyễn Văn 2", "bad-name"),
        (3, "31021999", "bad-birth"),
        (3, "131999", "bad-birth"),
        (3, "15031899", "bad-birth"),
        (3, "1503199", "bad-birth"),
        (3, "01012027", "birth-in-future"),
        (3, "072026", "birth-in-future"),
        (3, "2027", "birth-in-future"),
        (4, "Không rõ", "bad-sex"),
        (5, " , ", "bad-address"),
        (6, "31042021", "bad-issued"),
        (6, "2021", "bad-issued"),
        (6, "15031999", "issued-before-birth"),
        (6, "01011990", "issued-before-birth"),
    ],
)
def test_field_values_a_card_cannot_hold_are_rejected(index: int, value: str, code: str) -> None:
    error = rejection(with_field(index, value))
    assert (error.code, error.reason) == (code, citizen_id.INVALID_DATA)


@pytest.mark.parametrize(("birth", "iso"), [("062026", "2026-06"), ("2026", "2026")])
def test_birth_this_month_or_year_is_not_in_the_future(birth: str, iso: str) -> None:
    newborn = with_field(6, "15062026", with_field(0, "001226012345"))
    card = parse(with_field(3, birth, newborn), today=date(2026, 6, 20))
    assert (card.birth, card.warnings) == (iso, ())


def test_a_twelve_digit_old_cmnd_number_is_accepted() -> None:
    assert parse(with_field(1, "001099000111"), today=TODAY).old_id == "001099000111"


@pytest.mark.parametrize(
    ("number", "sex", "warnings"),
    [
        ("001099012345", "Nữ", [citizen_id.ID_SEX_MISMATCH]),
        ("001299012345", "Nam", [citizen_id.ID_CENTURY_MISMATCH]),
        ("001098012345", "Nam", [citizen_id.ID_YEAR_MISMATCH]),
        ("003099012345", "Nam", [citizen_id.UNKNOWN_PROVINCE]),
        (
            "097399012345",
            "Nam",
            [
                citizen_id.UNKNOWN_PROVINCE,
                citizen_id.ID_CENTURY_MISMATCH,
                citizen_id.ID_SEX_MISMATCH,
            ],
        ),
    ],
)
def test_id_number_disagreeing_with_the_card_is_a_warning(
    number: str, sex: str, warnings: list[str]
) -> None:
    card = parse(with_field(4, sex, with_field(0, number)), today=TODAY)
    assert list(card.warnings) == warnings


def test_an_issue_date_after_today_is_a_warning_as_the_clock_may_be_wrong() -> None:
    card = parse(with_field(6, "02062026"), today=TODAY)
    assert card.warnings == (citizen_id.ISSUED_IN_FUTURE,)


def test_sex_is_read_whatever_its_case() -> None:
    assert parse(with_field(4, "NỮ", with_field(0, "001199012345")), today=TODAY).sex == "F"


def test_text_garbled_through_windows_1252_is_repaired_and_flagged() -> None:
    # As a browser-like reader decodes: cp1252, and Latin-1 for the bytes cp1252 leaves undefined.
    garbled = "".join(
        bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in VALID.encode()
    )  # "Nguyễn" -> "Nguyá»…n"
    assert "…" in garbled
    card = parse(garbled, today=TODAY)
    assert card.as_dict() == {**parse(VALID, today=TODAY).as_dict(), "warnings": ["text-repaired"]}


def test_garbled_text_that_cannot_be_proven_is_rejected() -> None:
    garbled = VALID.encode("utf-8").decode("latin-1")
    for broken in (
        garbled.replace("\xba", "?", 1),  # a byte the reader lost
        garbled.encode("utf-8").decode("latin-1"),  # garbled twice
        VALID.replace("Mẫu", "M\ufffdu"),  # a replacement character
        VALID.replace("Mẫu", "Ma\u0303\u0302u"),  # marks that compose into no Vietnamese letter
    ):
        error = rejection(broken)
        assert (error.code, error.reason) == ("garbled-text", citizen_id.GARBLED)


def test_vietnamese_letters_that_happen_to_be_latin_1_are_never_taken_for_garbling() -> None:
    card = parse(with_field(2, "Lê Hà"), today=TODAY)
    assert (card.name, card.warnings) == ("Lê Hà", ())


def test_mask_id_shows_only_the_last_four_digits() -> None:
    assert mask_id("001099012345") == "••••••••2345"


def test_repr_and_logs_of_a_card_leak_nothing_personal(caplog: pytest.LogCaptureFixture) -> None:
    card = parse(VALID, today=TODAY)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("card %s %r", card, card)
    shown = f"{card!r} {card} {caplog.text}"
    assert "••••••••2345" in shown
    for secret in ("001099012345", "013456789", "Nguyễn", "Mẫu", "1999", "Đại Mỗ", "2021"):
        assert secret not in shown


def test_a_rejection_never_quotes_the_payload() -> None:
    error = rejection(with_field(3, "31021999"))
    assert "Nguyễn" not in str(error) and "0010990" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_the_63_province_codes_of_the_id_number() -> None:
    assert len(PROVINCES) == 63
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCES)
    assert (PROVINCES["001"], PROVINCES["079"], PROVINCES["096"]) == (
        "Hà Nội",
        "Hồ Chí Minh",
        "Cà Mau",
    )


def test_sample_payload_escapes_stand_for_raw_bytes() -> None:
    assert unescape(r"Tr\xc3\xa1|\r\n\t") == b"Tr\xc3\xa1|\r\n\t"
    with pytest.raises(ValueError, match="unknown escape"):
        unescape(r"\q")


def test_parsed_cards_are_values() -> None:
    assert parse(VALID, today=TODAY) == parse(VALID.encode(), today=TODAY)
    assert isinstance(parse(VALID, today=TODAY), CitizenID)
