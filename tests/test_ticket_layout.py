"""What the ticket and the test page say, in both languages, and that every shipped printer
profile can encode them (the real ESC/POS encoder)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from devices.escpos_encoder import encode
from devices.printjob import Cut, QRCode, Rule, Text
from devices.profiles import PrinterProfile
from kiosk import paths
from kiosk.config import Config, load_config
from kiosk.i18n import Translator
from kiosk.store import Store
from kiosk.ticket_layout import (
    build_sample_ticket_job,
    build_test_page_job,
    build_ticket_job,
    vietnamese_letter_lines,
)
from kiosk.ticket_signing import InvalidTicket, verify_ticket
from kiosk.tickets import Ticket, TicketService
from tests.support.clocks import HCM, Clock

NOW = datetime(2025, 7, 1, 9, 5, tzinfo=HCM)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(tmp_path)


@pytest.fixture
def ticket(tmp_path: Path, config: Config) -> Ticket:
    with Store(tmp_path / "kiosk.db") as store:
        service = TicketService(store, config, bytes(32), Clock(NOW))
        service.issue("ho-tich", priority=True, request_id="first")  # one priority ahead
        return service.issue("ho-tich", priority=True, request_id="second")


def texts(job) -> list[str]:
    return [element.text for element in job.elements if isinstance(element, Text)]


def test_the_vietnamese_ticket(ticket: Ticket, config: Config) -> None:
    translator = Translator(paths.LOCALE_DIR)
    job = build_ticket_job(ticket, config.catalogue.get("ho-tich"), config.office, translator, "vi")
    assert texts(job) == [
        "Trung tâm Phục vụ hành chính công",
        "Phường Đại Mỗ",
        "SỐ THỨ TỰ",
        "1002",
        "Hộ tịch",
        "ƯU TIÊN",
        "Số người chờ trước Ông/Bà: 1",
        "Giờ lấy số: 09:05 01/07/2025",
        "Vui lòng theo dõi màn hình và loa gọi số",
        "Phiếu chỉ có giá trị trong ngày",
    ]
    big = next(e for e in job.elements if isinstance(e, Text) and e.text == "1002")
    assert (big.size, big.bold) == (6, True)
    assert job.elements[1].bold
    assert [type(e) for e in job.elements[-4:]] == [Text, Text, QRCode, Cut]
    assert job.elements[-2].payload == ticket.qr_payload
    assert sum(isinstance(e, Rule) for e in job.elements) == 1


def test_the_english_ticket_without_priority(ticket: Ticket, config: Config) -> None:
    translator = Translator(paths.LOCALE_DIR, "vi")
    plain = Ticket(**{**vars(ticket), "priority": False})
    job = build_ticket_job(plain, config.catalogue.get("ho-tich"), config.office, translator, "en")
    lines = texts(job)
    assert lines[2:5] == ["QUEUE NUMBER", "1002", "Civil status"]
    assert "PRIORITY" not in lines
    assert "People waiting ahead of you: 1" in lines
    assert "Issued at: 09:05 01/07/2025" in lines
    assert lines[-2:] == ["Please watch the screen and listen for your number", "Valid today only"]


def test_the_sample_ticket_is_marked_and_its_qr_never_verifies(config: Config) -> None:
    job = build_sample_ticket_job(config, Translator(paths.LOCALE_DIR, "vi"), NOW)
    assert texts(job)[0] == "PHIẾU MẪU – KHÔNG CÓ GIÁ TRỊ"
    assert "1001" in texts(job)
    (qr,) = [e for e in job.elements if isinstance(e, QRCode)]
    with pytest.raises(InvalidTicket):
        verify_ticket(qr.payload, lambda _device: bytes(32))


def test_the_test_page_has_every_vietnamese_letter(config: Config) -> None:
    job = build_test_page_job(config.printer_profile, config.office, NOW)
    lines = texts(job)
    assert "Profile: generic-80" in lines and "Width: 576 dots" in lines
    assert "09:05 01/07/2025" in lines
    letters = "".join(vietnamese_letter_lines())
    assert unicodedata.is_normalized("NFC", letters)
    for letter in "ăâđêôơưĂÂĐÊÔƠƯ" + "ấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữựýỳỷỹỵ" + "ỊỈĨÌÍ":
        assert letter in letters
    assert len(set(letters) - {" "}) == 2 * (12 * 6 + 1)  # 12 vowels × 6 tones, and đ


@pytest.mark.parametrize("profile_name", ["generic-80", "generic-58", "epson-80-cp1258"])
def test_every_shipped_profile_encodes_the_ticket_and_test_page(
    tmp_path: Path, ticket: Ticket, config: Config, profile_name: str
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "kiosk.toml").write_text(f'[printer]\nprofile = "{profile_name}"\n')
    profile: PrinterProfile = load_config(tmp_path / "etc").printer_profile
    translator = Translator(paths.LOCALE_DIR)
    field = config.catalogue.get("ho-tich")
    for lang in ("vi", "en"):
        ticket_bytes = encode(
            build_ticket_job(ticket, field, config.office, translator, lang), profile
        )
        assert ticket.qr_payload.encode("ascii") in ticket_bytes
    assert encode(build_test_page_job(profile, config.office, NOW), profile).startswith(b"\x1b@")
