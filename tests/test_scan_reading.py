"""The technician's live scanner view: what each kind of code shows, and nothing personal in it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from devices.scanner_envelope import unwrap
from kiosk import paths
from kiosk.badges import sign_badge
from kiosk.citizen_id_samples import load_samples
from kiosk.i18n import Translator
from kiosk.scan_reading import describe_scan
from kiosk.ticket_signing import sign_ticket
from tests.support.processes import REPO_ROOT

SAMPLES_FILE = REPO_ROOT.parent / "shared" / "data" / "cccd_samples.txt"
KEY = bytes(32)


def shown(payload: bytes, language: str = "vi") -> str:
    return describe_scan(unwrap(payload)).render(Translator(paths.LOCALE_DIR, language).gettext)


@pytest.mark.parametrize("sample", load_samples(SAMPLES_FILE), ids=lambda s: s.case)
def test_no_card_field_and_no_long_number_is_ever_shown(sample):
    text = shown(sample.payload)
    decoded = sample.payload.decode("utf-8", errors="replace").strip("\r\n|")
    fields = decoded.split("|") if "|" in decoded else []
    assert not [field for field in fields if len(field) >= 5 and field in text]
    for value in (sample.fields.get("name"), sample.fields.get("id")):
        assert not value or value not in text
    assert not re.search(r"[0-9]{5}", text), text


def test_a_card_shows_its_masked_number_and_that_it_was_read():
    card = load_samples(SAMPLES_FILE)[0].payload
    assert shown(card) == "Thẻ căn cước ••••••••2345 (đọc được)"
    assert shown(card, "en") == "ID card ••••••••2345 (read)"


def test_a_card_the_parser_refuses_is_named_by_its_length_only():
    assert shown(b"001099012345|013456789|Nguy") == (
        "Mã QR thẻ căn cước không hợp lệ (bị cắt dở): 27 ký tự"
    )
    assert shown(b"001099012345|013456789|Nguy", "en") == (
        "ID card QR not accepted (cut off): 27 characters"
    )


def test_a_ticket_shows_its_number_and_a_badge_only_that_it_is_one():
    ticket = sign_ticket(
        office="00637", day=date(2026, 12, 2), label="1023", device_id="lobby-01", key=KEY
    )
    assert shown(ticket.encode() + b"\r\n") == "mã vé 1023; phần bao quanh: CRLF"
    badge = sign_badge(office="00637", officer_id="officer-an", key=KEY)
    assert shown(badge.encode()) == "thẻ công chức"


def test_what_is_not_text_is_counted_and_other_codes_shown_with_numbers_masked():
    assert shown(b"\xfe\xfd\x00abc") == "không đọc được: 6 ký tự"
    assert shown(b"HELLO-0123456789") == "mã khác: HELLO-••••••6789"
    assert shown(b"a|b|c|d|e|f|g") == "mã có 7 trường: 13 ký tự"


def test_the_envelope_the_scanner_wrapped_around_a_code_is_named_after_it():
    card = load_samples(SAMPLES_FILE)[0].payload
    assert shown(b"]Q1" + card + b"\r\n", "en") == (
        "ID card ••••••••2345 (read); around it: AIM ]Q1, CRLF"
    )
    assert shown(b"\x02]Q2\\000026\xef\xbb\xbf" + card + b"\x03\n\r") == (
        "Thẻ căn cước ••••••••2345 (đọc được); phần bao quanh: khung STX, AIM ]Q2,"
        " ECI 000026 (utf-8), dấu thứ tự byte (BOM), ETX+LFCR"
    )
    assert shown(b"]Q2\\000099abc\r", "en") == (
        "other code: abc; around it: AIM ]Q2, ECI 000099 (not decoded), CR"
    )
    assert shown("]Q2\\000027ñ\r".encode(), "en") == (
        "other code: ñ; around it: AIM ]Q2, ECI 000027 (not decoded), CR"
    )
    assert shown(b"  HELLO\x00\x00\t", "en") == "other code: HELLO; around it: padding, TAB"
