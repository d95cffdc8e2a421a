"""What the ticket, a reprint and the test page say, in both languages, that every shipped
printer profile can encode them (the real ESC/POS encoder), and how they come out of the virtual
printer: the bytes it received and the page it drew."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices import escpos_commands as cmd
from devices.escpos_encoder import encode, to_cp1258
from devices.printer import PrinterState
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
    printer_font_lines,
    vietnamese_letter_lines,
)
from kiosk.ticket_signing import InvalidTicket, verify_ticket
from kiosk.tickets import Ticket, TicketService
from tests.support.clocks import HCM, Clock
from tests.support.paper import print_on_twin, qr_texts, read_jobs, shows_line

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
        "Số người chờ trước Ông/Bà (chỉ tính tại máy cấp số này): 1",  # no server: its own count
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
    assert "People waiting ahead of you (counted at this kiosk only): 1" in lines
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
    job = build_test_page_job(
        config.printer_profile, config.office, NOW, Translator(paths.LOCALE_DIR), "en"
    )
    lines = texts(job)
    assert "Printer profile: generic-80" in lines and "Paper width: 576 dots" in lines
    assert "Vietnamese text: raster (bundled font)" in lines
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
    profile = profile_named(tmp_path, profile_name)
    translator = Translator(paths.LOCALE_DIR)
    field = config.catalogue.get("ho-tich")
    for lang in ("vi", "en"):
        ticket_bytes = encode(
            build_ticket_job(ticket, field, config.office, translator, lang), profile
        )
        assert ticket.qr_payload.encode("ascii") in ticket_bytes
        test_page = build_test_page_job(profile, config.office, NOW, translator, lang)
        assert encode(test_page, profile).startswith(b"\x1b@")


def profile_named(tmp_path: Path, name: str) -> PrinterProfile:
    (tmp_path / "etc").mkdir(exist_ok=True)
    (tmp_path / "etc" / "kiosk.toml").write_text(f'[printer]\nprofile = "{name}"\n')
    return load_config(tmp_path / "etc").printer_profile


def word_lines(job) -> list[Text]:
    """The lines of words of a job: every Text but the ticket number."""
    return [e for e in job.elements if isinstance(e, Text) and e.render == "auto"]


def test_an_english_ticket_is_printed_as_cleanly_as_a_vietnamese_one(
    tmp_path: Path, ticket: Ticket, config: Config
) -> None:
    """The audit's "R e s i d e n c e": English lines (plain ASCII) went out as native text,
    in the printer's fixed-pitch font under a header drawn with the bundled font. Now every line
    of words of both languages is drawn with the bundled font; only the number is native."""
    profile = config.printer_profile
    field = config.catalogue.get("cu-tru")
    translator = Translator(paths.LOCALE_DIR)
    jobs = {
        lang: build_ticket_job(ticket, field, config.office, translator, lang)
        for lang in ("vi", "en")
    }
    received, pages = print_on_twin(tmp_path / "printed", profile, jobs["vi"], jobs["en"])
    streams = read_jobs(received)
    dashes = b"-" * (profile.width_dots // 12)
    for stream, page, job in zip(streams, pages, jobs.values(), strict=True):
        assert stream.lines == [ticket.label.encode(), dashes]  # nothing else in the printer's font
        assert not [c for c in stream.commands if c.startswith(b"\x1b ")]  # no ESC SP spacing
        assert stream.sizes() <= {0x00, 0x55}  # size 1, and the number at 6x6
        assert qr_texts(page) == [ticket.qr_payload]
        for line in word_lines(job):
            assert shows_line(page, line.text, profile, size=line.size, bold=line.bold), line
    english = encode(jobs["en"], profile)
    assert english in received
    assert b"Residence" not in english and b"R e s" not in english
    assert b"QUEUE NUMBER" not in english
    assert len(english) <= 8 * 1024  # within the ticket's byte budget (README, benchmarks)
    assert [(e.size, e.bold) for e in word_lines(jobs["en"])] == [
        (e.size, e.bold) for e in word_lines(jobs["vi"])
    ]


def test_on_a_text_mode_profile_both_languages_are_in_the_printer_font(
    tmp_path: Path, ticket: Ticket, config: Config
) -> None:
    profile = profile_named(tmp_path, "epson-80-cp1258")
    translator = Translator(paths.LOCALE_DIR)
    field = config.catalogue.get("cu-tru")
    for lang, field_name in (("vi", to_cp1258("Cư trú")), ("en", b"Residence")):
        data = encode(build_ticket_job(ticket, field, config.office, translator, lang), profile)
        (stream,) = read_jobs(data)
        assert stream.rasters == []
        assert field_name in stream.lines


REPRINTED = datetime(2025, 7, 1, 9, 40, tzinfo=HCM)


@pytest.mark.parametrize(
    ("lang", "mark", "time_line"),
    [
        ("vi", "IN LẠI", "In lại lúc: 09:40 01/07/2025"),
        ("en", "REPRINT", "Reprinted at: 09:40 01/07/2025"),
    ],
)
def test_a_reprint_says_so_with_its_time_and_keeps_the_number_and_qr(
    tmp_path: Path, ticket: Ticket, config: Config, lang: str, mark: str, time_line: str
) -> None:
    translator = Translator(paths.LOCALE_DIR)
    field = config.catalogue.get("ho-tich")
    original = build_ticket_job(ticket, field, config.office, translator, lang)
    copy = build_ticket_job(
        ticket, field, config.office, translator, lang, reprinted_at=REPRINTED.astimezone(UTC)
    )
    assert texts(copy)[0] == mark
    assert mark not in texts(original) and time_line not in texts(original)
    issued = texts(copy).index(f"{'Giờ lấy số' if lang == 'vi' else 'Issued at'}: 09:05 01/07/2025")
    assert texts(copy)[issued + 1] == time_line
    profile = config.printer_profile
    received, (first, again) = print_on_twin(tmp_path / "printed", profile, original, copy)
    assert qr_texts(again) == qr_texts(first) == [ticket.qr_payload]
    assert shows_line(again, mark, profile, size=2, bold=True)
    assert shows_line(again, time_line, profile, bold=True)
    assert not shows_line(first, mark, profile, size=2, bold=True)
    assert [stream.lines for stream in read_jobs(received)] == [
        [ticket.label.encode(), b"-" * (profile.width_dots // 12)]
    ] * 2  # the same number, natively
    label_line = cmd.char_size(6, 6) + cmd.bold(True) + ticket.label.encode() + b"\n"
    assert label_line in encode(copy, profile)


def test_the_test_page_cannot_be_taken_for_a_ticket(tmp_path: Path, config: Config) -> None:
    profile = config.printer_profile
    translator = Translator(paths.LOCALE_DIR)
    job = build_test_page_job(profile, config.office, NOW, translator, "vi")
    lines = texts(job)
    heading = "TRANG IN THỬ – KHÔNG PHẢI PHIẾU SỐ THỨ TỰ"
    assert lines[0] == heading and lines[-1] == heading
    assert "Kiểu máy in: generic-80" in lines and "Khổ in: 576 điểm" in lines
    assert max(e.size for e in job.elements if isinstance(e, Text)) <= 2
    assert not [line for line in lines if line.replace(" ", "").isdigit()]  # no number alone
    (qr,) = [e for e in job.elements if isinstance(e, QRCode)]
    assert qr.payload == "TEST"
    assert isinstance(job.elements[-1], Cut)

    received, (page,) = print_on_twin(tmp_path / "printed", profile, job)
    (stream,) = read_jobs(received)
    assert stream.qr == [b"TEST"] and qr_texts(page) == ["TEST"]
    assert stream.sizes() <= {0x00}  # no magnified native text: nothing like a queue number
    native = [line.decode() for line in stream.lines if line.strip(b"-")]  # but the rules
    assert native == printer_font_lines()  # the printer's own character set, and only it
    assert shows_line(page, heading, profile, size=2, bold=True)
    assert shows_line(page, "Đất đai – Xây dựng", profile, size=2, bold=True)
    with pytest.raises(InvalidTicket):
        verify_ticket(qr.payload, lambda _device: bytes(32))


def test_the_self_test_page_shows_the_head_pattern_and_the_printer_state(
    tmp_path: Path, config: Config
) -> None:
    profile = config.printer_profile
    job = build_test_page_job(
        profile,
        config.office,
        NOW,
        Translator(paths.LOCALE_DIR),
        "vi",
        printer_state=PrinterState.PAPER_NEAR_END,
    )
    _, (page,) = print_on_twin(tmp_path / "printed", profile, job)  # one page: it was cut
    assert shows_line(page, "Trạng thái máy in: sắp hết giấy", profile, align="left")
    assert shows_line(page, "Đầu in (tô kín, rồi cách một điểm):", profile, bold=True, align="left")
    rows = [page.crop((0, y, page.width, y + 1)).tobytes() for y in range(page.height)]
    solid = bytes(page.width)  # every dot of the row black
    checker = [bytes(255 if (x + odd) % 2 else 0 for x in range(page.width)) for odd in (0, 1)]
    start = rows.index(solid)
    assert rows[start : start + 24] == [solid] * 24
    assert rows[start + 24 : start + 48] == [checker[0], checker[1]] * 12
    assert qr_texts(page) == ["TEST"]
