"""The ID card step at the lobby: consent, scan, confirm — and the card's data nowhere else."""

from __future__ import annotations

import logging

import pytest

from devices.virtual_scanner import VirtualScanner
from tests.support.ui import field_button, go_to_fields, pump, running_lobby, screenshot, tap

ID_NUMBER = "001099012345"
NAME = "Nguyễn Văn Mẫu"
CARD = (
    f"{ID_NUMBER}|013456789|{NAME}|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường Trung Văn, "
    "Quận Nam Từ Liêm, Hà Nội|20042021"
).encode()


@pytest.fixture
def scanner():
    twin = VirtualScanner()
    yield twin
    twin.close()


def lobby_with_scanner(tmp_path, scanner):
    extra = f'\n[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n'
    return running_lobby(tmp_path, extra_config=extra)


def to_consent(app):
    tap(field_button(go_to_fields(app), "ho-tich"))
    assert pump(lambda: app.root.current == "id_consent")


def test_consent_scan_confirm_issues_the_ticket_with_the_identity_sealed(tmp_path, scanner, caplog):
    caplog.set_level(logging.DEBUG)
    with lobby_with_scanner(tmp_path, scanner) as (app, printer):
        to_consent(app)
        consent = app.root.get_screen("id_consent")
        assert consent.ids.agree.state == "normal" and consent.ids.decline.state == "normal"
        screenshot(tmp_path / "consent.png")
        tap(consent.ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        screenshot(tmp_path / "scan.png")
        scanner.scan(CARD)
        assert pump(lambda: app.root.current == "id_confirm")
        confirm = app.root.get_screen("id_confirm")
        assert confirm.ids.masked_id.text == "••••••••2345"
        assert (confirm.ids.full_name.text, confirm.ids.birth.text) == (NAME, "15/03/1999")
        screenshot(tmp_path / "confirm.png")
        tap(confirm.ids.correct)
        assert pump(lambda: app.root.current == "ticket")
        assert pump(lambda: confirm.ids.full_name.text == "")  # gone from the screen
        assert printer.wait_for_pages(1, timeout=5)
        assert pump(lambda: app.store.outbox.summary()["personal_pending"] == 1)
        data_dir = app.settings.device.data_dir
    # Nothing personal in clear: database files, printed bytes, logs.
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert ID_NUMBER.encode() not in content, path
            assert NAME.encode() not in content, path
    assert ID_NUMBER.encode() not in printer.received and NAME.encode() not in printer.received
    assert all(
        ID_NUMBER not in r.getMessage() and NAME not in r.getMessage() for r in caplog.records
    )


def test_declining_issues_the_ticket_without_reading_anything(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.decline)
        assert pump(lambda: app.root.current == "ticket")
        assert app.root.get_screen("ticket").label == "1001"
        assert app.store.outbox.summary()["personal_pending"] == 0


def test_a_wrong_qr_says_why_in_plain_words_and_the_citizen_can_scan_again(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        scan = app.root.get_screen("id_scan")
        scanner.scan(b"https://dichvucong.gov.vn/")
        assert pump(lambda: scan.problem.startswith("Đây không phải mã QR trên thẻ căn cước"))
        screenshot(tmp_path / "scan-error.png")
        scanner.scan(CARD)
        assert pump(lambda: app.root.current == "id_confirm")
        tap(app.root.get_screen("id_confirm").ids.rescan)
        assert pump(lambda: app.root.current == "id_scan")
        tap(scan.ids.skip)
        assert pump(lambda: app.root.current == "ticket")
        assert app.store.outbox.summary()["personal_pending"] == 0


def test_a_card_shown_outside_the_scan_step_is_not_read(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        scanner.scan(CARD)
        pump(timeout=1)
        assert app.root.current == "welcome"
        to_consent(app)
        assert app._identity is None


def test_a_keyboard_wedge_scanner_types_the_card_into_the_scan_step(tmp_path):
    from kivy.core.window import Window

    extra = '\n[scanner]\nmode = "keyboard"\n'
    with running_lobby(tmp_path, extra_config=extra) as (app, _printer):
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        # A wedge types the whole card in one fast burst, then Enter.
        for character in CARD.decode():
            Window.dispatch("on_textinput", character)
        Window.dispatch("on_key_down", 13, 36, "\r", [])
        assert pump(lambda: app.root.current == "id_confirm")
        assert app.root.get_screen("id_confirm").ids.masked_id.text == "••••••••2345"
