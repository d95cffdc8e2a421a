"""The ID card step at the lobby: consent, scan, confirm — and the card's data nowhere else."""

from __future__ import annotations

import logging
import time

import pytest
from kivy.tests import UnitTestTouch

from devices.virtual_scanner import VirtualScanner
from tests.support.ui import (
    field_button,
    frames,
    go_to_fields,
    pump,
    running_lobby,
    screenshot,
    shown,
    tap,
    tickets_today,
    walk,
)

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


def to_scan(app):
    """From the welcome screen to the scan step, consenting; returns the scan screen."""
    to_consent(app)
    tap(app.root.get_screen("id_consent").ids.agree)
    assert pump(lambda: app.root.current == "id_scan")
    frames(3)
    return app.root.get_screen("id_scan")


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
    # A Honeywell sending its Code ID ("s", set as [scanner] prefix) and AIM ID before each code.
    with lobby_with(tmp_path, scanner, 'prefix = "s"\n') as (app, _printer):
        scan = to_scan(app)
        scanner.scan(b"s]Q1https://dichvucong.gov.vn/", b"\r")
        assert pump(lambda: scan.problem.startswith("Đây không phải mã QR trên thẻ căn cước"))
        screenshot(tmp_path / "scan-error.png")
        scanner.scan(b"s]Q1" + CARD, b"\r")
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
        to_scan(app)
        # A wedge types the whole card in one fast burst (its AIM ID first), then Enter.
        for character in "]Q1" + CARD.decode():
            Window.dispatch("on_textinput", character)
        Window.dispatch("on_key_down", 13, 36, "\r", [])
        assert pump(lambda: app.root.current == "id_confirm")
        assert app.root.get_screen("id_confirm").ids.masked_id.text == "••••••••2345"


def lobby_with(tmp_path, scanner, extra="", size=(1280, 800)):
    """The lobby on `scanner`; `extra` goes on in its [scanner] table (or opens others)."""
    config = f'\n[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n{extra}'
    return running_lobby(tmp_path, extra_config=config, size=size)


def to_confirm(app, scanner, card=CARD):
    to_scan(app)
    scanner.scan(card)
    assert pump(lambda: app.root.current == "id_confirm")
    frames(3)
    return app.root.get_screen("id_confirm")


def test_not_correct_forgets_the_card_and_issues_the_ticket_without_it(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, printer):
        confirm = to_confirm(app, scanner)
        assert confirm.ids.not_correct.text == "Không đúng, tôi tự khai"
        tap(confirm.ids.not_correct)
        assert confirm.full_name == "", "forgotten at once"
        assert pump(lambda: app.root.current == "ticket")
        assert app._identity is None
        assert app.root.get_screen("ticket").label == "1001"
        assert printer.wait_for_pages(1, timeout=5)
        frames(5)
        assert app.store.outbox.summary()["personal_pending"] == 0


def test_a_card_whose_sex_digit_disagrees_says_so_instead_of_asking_to_confirm(tmp_path, scanner):
    # The ID number's 4th digit (0) says a man born in the 1900s; the card says "Nữ".
    card = CARD.replace(b"|Nam|", "|Nữ|".encode())
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        confirm = to_confirm(app, scanner, card)
        assert confirm.mismatch
        assert confirm.ids.heading.text == (
            "Thông tin trên thẻ có điểm chưa khớp, cán bộ sẽ kiểm tra lại."
        )
        assert confirm.ids.correct.text == "Tiếp tục"  # not "Đúng": nobody confirms a mismatch
        screenshot(tmp_path / "mismatch.png")
        tap(confirm.ids.correct)
        assert pump(lambda: app.root.current == "ticket")
        assert pump(
            lambda: app.store.outbox.summary()["personal_pending"] == 1
        )  # the officer checks
        to_confirm(app_home(app), scanner)
        assert not confirm.mismatch
        assert confirm.ids.heading.text == "Thông tin của Ông/Bà có đúng không?"
        assert confirm.ids.correct.text == "Đúng"


def app_home(app):
    app.go_home()
    assert pump(lambda: app.root.current == "welcome")
    return app


def test_the_scan_screen_says_where_the_scanner_is(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        scan = to_scan(app)
        assert scan.ids.location.text == "Vị trí máy quét: khe quét bên dưới màn hình"
    place = (
        'location_vi = "ô quét bên phải màn hình"\nlocation_en = "the slot right of the screen"\n'
    )
    site = tmp_path / "site"
    with lobby_with(site, scanner, place) as (app, _printer):
        tap(app.root.get_screen("welcome").ids.lang_en)
        to_scan(app)
        frames(3)
        scan = app.root.get_screen("id_scan")
        assert scan.ids.location.text == "The scanner: the slot right of the screen"


@pytest.mark.parametrize("size", [(800, 480), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_two_cards_and_their_captions_are_level(tmp_path, scanner, size):
    from tests.support.layout_walk import panel

    with panel(size), lobby_with(tmp_path, scanner, size=size) as (app, _printer):
        ids = to_scan(app).ids
        chip, new = ids.chip_card, ids.new_card
        assert (chip.card_y, chip.card_w, chip.card_h) == pytest.approx(
            (new.card_y, new.card_w, new.card_h), abs=1
        ), "the drawn cards are of one size, side by side"
        assert ids.chip_caption.top == pytest.approx(ids.new_caption.top, abs=1)
        assert ids.chip_caption.top == pytest.approx(chip.card_y, abs=1), "caption under its card"
        for caption in (ids.chip_caption, ids.new_caption):
            assert caption.texture_size[1] <= caption.height + 1
        screenshot(tmp_path / f"scan-{size[0]}x{size[1]}.png")


def test_an_unplugged_scanner_skips_the_card_step_and_no_ticket_is_lost(tmp_path):
    missing = tmp_path / "qr-scanner"  # configured, but not plugged in
    extra = f'\n[scanner]\nmode = "serial"\nurl = "{missing}"\n'
    with running_lobby(tmp_path, extra_config=extra) as (app, printer):
        assert app.scanner.state != "connected"
        tap(field_button(go_to_fields(app), "ho-tich"))
        assert pump(lambda: app.root.current == "ticket")  # no consent, no scan step
        assert app.root.get_screen("ticket").label == "1001"
        assert printer.wait_for_pages(1, timeout=5)
        assert app.store.outbox.summary()["personal_pending"] == 0


def test_a_scanner_that_goes_away_during_the_visit_costs_no_ticket(tmp_path):
    scanner = VirtualScanner(tmp_path / "qr-scanner")
    try:
        with lobby_with(tmp_path, scanner) as (app, _printer):
            assert pump(lambda: app.scanner.state == "connected")
            scan = to_scan(app)
            scanner.unplug()
            assert pump(lambda: "Máy quét thẻ đang không hoạt động" in scan.problem)
            scanner.replug()
            assert pump(lambda: scan.problem == "", timeout=15)  # back: said no more
            scanner.unplug()
            assert pump(lambda: app.scanner.state != "connected")
            tap(scan.ids.back)
            assert pump(lambda: app.root.current == "fields")
            tap(field_button(app.root.get_screen("fields"), "cu-tru"))
            # A consent shown before the reader went away: "yes" issues the ticket.
            assert pump(lambda: app.root.current == "ticket")
            assert app.root.get_screen("ticket").label == "4001"
    finally:
        scanner.close()


def test_the_card_data_leaves_the_screen_after_a_few_idle_seconds(tmp_path, scanner):
    """Nobody walks up to a stranger's name and birth date: after identity_timeout without a
    touch the question "are you still there?" takes their place; unanswered, the visit ends
    with the card forgotten."""
    extra = "[lobby]\nidentity_timeout = 3\nidle_warning = 2\n"
    with lobby_with(tmp_path, scanner, extra) as (app, _printer):
        confirm = to_confirm(app, scanner)
        assert shown(confirm.ids.full_name) and confirm.ids.full_name.text == NAME
        start = time.monotonic()
        assert pump(lambda: not shown(confirm.ids.full_name), timeout=6)
        assert time.monotonic() - start < 3.6
        assert confirm.warning_shown
        screenshot(tmp_path / "confirm-idle.png")
        drawn = [
            w.text for w in walk(app.root) if shown(w) and isinstance(getattr(w, "text", 0), str)
        ]
        assert not any(NAME in text or "15/03/1999" in text for text in drawn)
        assert pump(lambda: app.root.current == "welcome", timeout=4)
        assert pump(lambda: confirm.full_name == confirm.birth == "")
        assert app._identity is None
        assert tickets_today(app) == []


def test_whoever_answers_the_question_on_the_confirmation_scans_again(tmp_path, scanner):
    """The card's data is gone once the question is asked, for good: the person who answers may
    be the next citizen, so the answer leads back to the scan step, never to the old card."""
    extra = "[lobby]\nidentity_timeout = 3\nidle_warning = 4\n"
    with lobby_with(tmp_path, scanner, extra) as (app, _printer):
        confirm = to_confirm(app, scanner)
        assert pump(lambda: confirm.warning_shown, timeout=6)
        assert confirm.full_name == confirm.birth == confirm.masked_id == ""
        tap(confirm)  # "are you still there?" answered by a touch anywhere
        assert pump(lambda: app.root.current == "id_scan")
        assert app._identity is None and confirm.full_name == ""
        scanner.scan(CARD)  # their own card, read again
        assert pump(lambda: app.root.current == "id_confirm")
        assert pump(lambda: confirm.full_name == NAME)


def test_a_touch_begun_before_the_confirmation_does_not_confirm(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_scan(app)
        touched_at = time.time()  # a finger on the glass while the card is read
        scanner.scan(CARD)
        assert pump(lambda: app.root.current == "id_confirm")
        frames(3)
        confirm = app.root.get_screen("id_confirm")
        x, y = confirm.ids.correct.to_window(*confirm.ids.correct.center)
        early = UnitTestTouch(x, y)
        early.time_start = touched_at
        early.touch_down()
        early.touch_up()
        frames(10)
        assert app.root.current == "id_confirm" and tickets_today(app) == []
        tap(confirm.ids.correct)  # a touch of its own
        assert pump(lambda: app.root.current == "ticket")
        assert pump(lambda: app.store.outbox.summary()["personal_pending"] == 1)


def test_the_consent_screen_asks_before_it_resets(tmp_path, scanner):
    extra = "[lobby]\nidle_timeout = 5\nidle_warning = 2\n"
    with lobby_with(tmp_path, scanner, extra) as (app, _printer):
        to_consent(app)
        consent = app.root.get_screen("id_consent")
        assert pump(lambda: consent.warning_shown, timeout=5)
        assert not shown(consent.ids.agree)
        tap(next(w for w in consent.children if type(w).__name__ == "IdleQuestion"))
        assert pump(lambda: not consent.warning_shown)
        assert app.root.current == "id_consent" and shown(consent.ids.agree)
