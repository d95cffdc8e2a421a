"""The lobby as a citizen uses it: welcome → field → ticket, driven through the real window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from kivy.metrics import mm
from kivy.uix.button import Button
from PIL import Image
from pyzbar.pyzbar import decode

from tests.support.clocks import HCM, Clock
from tests.support.paper import qr_texts, shows_line
from tests.support.ui import (
    field_button,
    frames,
    go_to_fields,
    pump,
    running_lobby,
    screenshot,
    share_of_colour,
    shown,
    tap,
    tickets_today,
    walk,
    window_box,
)

RED = (183, 28, 28)  # the "take a number" button (0.72, 0.11, 0.11)


def test_welcome_screen_greets_in_vietnamese_and_shows_the_status(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        assert welcome.ids.greeting.text == "Xin kính chào Ông/Bà!"
        assert welcome.ids.take_number.text == "Lấy số thứ tự"
        assert "Máy in sẵn sàng" in welcome.ids.status_line.text
        shot = screenshot(tmp_path / "welcome.png")
        box = window_box(welcome.ids.take_number, shot)
        assert share_of_colour(shot, box, RED) > 0.5, "the big red button is on screen"


def test_tap_field_issues_a_ticket_and_prints_it(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        fields = go_to_fields(app)
        tap(field_button(fields, "ho-tich"))
        assert pump(lambda: app.root.current == "ticket")
        ticket_screen = app.root.get_screen("ticket")
        assert ticket_screen.label == "1001"
        assert ticket_screen.field_name == "Hộ tịch"
        assert pump(lambda: ticket_screen.print_state == "printed")
        assert ticket_screen.ids.status.text == "Mời Ông/Bà nhận phiếu bên dưới."
        assert printer.wait_for_pages(1, timeout=5)
        (ticket,) = tickets_today(app)
        assert ticket.label == "1001" and ticket.print_status == "printed"
        qr = decode(__import__("PIL.Image", fromlist=["Image"]).open(printer.pages[0]))
        assert [symbol.data.decode() for symbol in qr] == [ticket.qr_payload]
        screenshot(tmp_path / "ticket.png")


def test_second_ticket_of_a_field_counts_the_first_as_waiting(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        for expected_label, expected_waiting in (("1001", 0), ("1002", 1)):
            fields = go_to_fields(app)
            tap(field_button(fields, "ho-tich"))
            assert pump(lambda: app.root.current == "ticket")
            ticket_screen = app.root.get_screen("ticket")
            assert (ticket_screen.label, ticket_screen.waiting_ahead) == (
                expected_label,
                expected_waiting,
            )
            tap(ticket_screen.ids.done)
            assert pump(lambda: app.root.current == "welcome")


def test_double_tap_issues_one_ticket(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        fields = go_to_fields(app)
        button = field_button(fields, "chung-thuc")
        tap(button)
        tap(button)
        tap(field_button(fields, "cu-tru"))  # a second finger on another field
        frames(2)
        tap(button)
        assert pump(lambda: app.root.current == "ticket")
        assert pump(lambda: app.root.get_screen("ticket").print_state == "printed")
        frames(10)
        assert [t.label for t in tickets_today(app)] == ["2001"]
        assert printer.wait_for_pages(1, timeout=5)
        frames(10)
        assert len(printer.pages) == 1


def test_paper_out_still_shows_the_number_and_its_qr(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        printer.paper_out = True
        fields = go_to_fields(app)
        tap(field_button(fields, "dat-dai-xay-dung"))
        assert pump(lambda: app.root.current == "ticket")
        ticket_screen = app.root.get_screen("ticket")
        assert pump(lambda: ticket_screen.print_state == "failed")
        assert ticket_screen.label == "3001"
        assert "hết giấy" in ticket_screen.ids.status.text
        assert "vẫn có giá trị" in ticket_screen.ids.status.text
        shot = screenshot(tmp_path / "paper-out.png")
        decoded = [symbol.data.decode() for symbol in decode(shot)]
        (ticket,) = tickets_today(app)
        assert decoded == [ticket.qr_payload], "the QR on screen can be photographed and read"
        assert ticket.print_status == "failed"
        assert printer.pages == []
        # The paper is changed; the technician prints the same ticket again.
        printer.paper_out = False
        app.go_home()
        pump(lambda: app.printer_state.name == "READY")
        app.print_service.retry(ticket.id)
        assert printer.wait_for_pages(1, timeout=5)
        pump(lambda: tickets_today(app)[0].print_status == "printed")
        (again,) = tickets_today(app)
        assert (again.label, again.print_status) == ("3001", "printed")


def test_stalled_printer_keeps_the_screen_responsive_and_the_ticket_valid(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        printer.stalled = True
        fields = go_to_fields(app)
        tap(field_button(fields, "cu-tru"))
        assert pump(lambda: app.root.current == "ticket")
        ticket_screen = app.root.get_screen("ticket")
        assert ticket_screen.label == "4001"
        # While the print is stuck the citizen can still leave: the UI thread is not blocked.
        tap(ticket_screen.ids.done)
        assert pump(lambda: app.root.current == "welcome", timeout=2)
        assert pump(lambda: tickets_today(app)[0].print_status == "failed", timeout=30)
        assert tickets_today(app)[0].label == "4001"


def test_printer_that_does_not_answer_fails_the_print_in_plain_words(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        printer.offline = True
        welcome = app.root.get_screen("welcome")
        assert pump(lambda: "không phản hồi" in welcome.ids.printer_notice.text)
        fields = go_to_fields(app)
        tap(field_button(fields, "tu-van"))
        assert pump(lambda: app.root.get_screen("ticket").print_state == "failed")
        status = app.root.get_screen("ticket").ids.status.text
        assert "chưa in được phiếu" in status
        assert "liên hệ cán bộ hướng dẫn" in status, "whom to ask"


BANNER_RED = (153, 18, 18)  # the welcome screen's printer banner (0.6, 0.07, 0.07)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("paper_out", "Máy in hết giấy: phiếu không in ra được."),
        ("cover_open", "Nắp máy in đang mở: phiếu không in ra được."),
        ("offline", "Máy in không phản hồi: phiếu không in ra được."),
    ],
)
def test_a_printer_that_cannot_print_is_said_on_the_welcome_screen_with_whom_to_ask(
    tmp_path, fault, words
):
    """Before a citizen chooses a field: a banner, not the small status line."""
    with running_lobby(tmp_path, size=(800, 480)) as (app, printer):
        welcome = app.root.get_screen("welcome")
        setattr(printer, fault, True)
        assert pump(lambda: welcome.ids.printer_notice.text == words)
        assert welcome.ids.printer_ask.text == "Ông/Bà vui lòng liên hệ cán bộ hướng dẫn."
        assert "vẫn lấy được số thứ tự" in welcome.ids.printer_still.text
        assert "phiếu" not in welcome.ids.status_line.text, "said once, in the banner"
        shot = screenshot(tmp_path / f"welcome-{fault}.png")
        banner = window_box(welcome.ids.printer_banner, shot)
        assert banner[3] - banner[1] >= mm(12), "three lines, not a footnote"
        assert share_of_colour(shot, banner, BANNER_RED) > 0.5
        setattr(printer, fault, False)
        assert pump(lambda: welcome.ids.printer_notice.text == "")
        assert pump(lambda: "Máy in sẵn sàng" in welcome.ids.status_line.text)
        assert welcome.ids.printer_banner.height == 0


def test_paper_running_low_is_a_status_line_item_that_says_whom_to_tell(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        welcome = app.root.get_screen("welcome")
        printer.paper_near_end = True
        assert pump(lambda: "sắp hết giấy" in welcome.ids.status_line.text)
        assert "cán bộ" in welcome.ids.status_line.text
        assert welcome.ids.printer_notice.text == ""  # tickets still print


def test_a_tap_on_a_language_button_stays_on_the_welcome_screen(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        tap(welcome.ids.lang_en)
        frames(5)
        assert (app.root.current, app.language) == ("welcome", "en")
        tap(welcome.ids.lang_vi)
        frames(5)
        assert (app.root.current, app.language) == ("welcome", "vi")
        tap(welcome.ids.greeting)  # anywhere else: a visit
        assert pump(lambda: app.root.current == "fields")


def test_english_switch_and_back_to_vietnamese_at_home(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        tap(welcome.ids.lang_en)
        frames()
        assert welcome.ids.take_number.text == "Take a queue number"
        fields = go_to_fields(app)
        assert field_button(fields, "ho-tich").text == "Civil status"
        tap(fields.ids.back)
        assert pump(lambda: app.root.current == "welcome")
        assert welcome.ids.take_number.text == "Lấy số thứ tự"


def test_every_screen_returns_to_welcome_after_its_timeout(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        for name in ("fields", "ticket", "technician_login", "technician"):
            screen = app.root.get_screen(name)
            screen.timeout = 0.3
            app.root.current = name
            assert pump(lambda: app.root.current == "welcome", timeout=5), name


def test_touch_targets_are_at_least_15_mm(tmp_path):
    with running_lobby(tmp_path, size=(800, 480)) as (app, _printer):
        for name in ("welcome", "fields", "technician_login", "technician"):
            app.root.current = name
            frames(3)
            screen = app.root.get_screen(name)
            for widget in walk(screen):
                if isinstance(widget, Button) and widget.opacity > 0:
                    assert widget.height >= mm(15) - 1, (name, widget.text, widget.height)
                    assert widget.width >= mm(15) - 1, (name, widget.text, widget.width)
            screenshot(tmp_path / f"{name}-800x480.png")


def test_technician_wrong_pin_then_reprint_of_a_failed_ticket(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        printer.paper_out = True
        fields = go_to_fields(app)
        tap(field_button(fields, "ho-tich"))
        assert pump(lambda: app.root.get_screen("ticket").print_state == "failed")
        printer.paper_out = False
        app.go_home()
        app.open_technician_login()
        login = app.root.get_screen("technician_login")
        keys = {b.key: b for b in login.ids.keypad.children}
        for digit in "1111":
            tap(keys[digit])
        tap(keys["ok"])
        assert pump(lambda: login.message == "Mã PIN không đúng.")
        for digit in "246810":
            tap(keys[digit])
        tap(keys["ok"])
        assert pump(lambda: app.root.current == "technician")
        technician = app.root.get_screen("technician")
        assert pump(lambda: len(technician.ids.failed.children) == 1)
        tap(technician.ids.failed.children[0])
        assert printer.wait_for_pages(1, timeout=5)
        assert pump(lambda: len(technician.ids.failed.children) == 0)
        assert [t.print_status for t in tickets_today(app)] == ["printed"]
        # The copy says it is one, with the same QR.
        page = Image.open(printer.pages[0]).convert("L")
        assert shows_line(page, "IN LẠI", app.settings.printer_profile, size=2, bold=True)
        assert qr_texts(page) == [tickets_today(app)[0].qr_payload]


WRONG_PIN = "Mã PIN không đúng."
PIN_LOCKED = "Nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút."


def type_technician_pin(app, pin):
    """Types a PIN on the technician login and waits for its answer: the login's message, or
    None when the menu opened."""
    login = app.root.get_screen("technician_login")
    keys = {b.key: b for b in login.ids.keypad.children}
    for digit in pin:
        tap(keys[digit])
    tap(keys["ok"])
    assert pump(lambda: not login.checking or app.root.current == "technician")
    return None if app.root.current == "technician" else login.message


def test_five_wrong_technician_pins_lock_the_menu_even_after_a_restart(tmp_path):
    clock = Clock(datetime(2025, 9, 8, 9, 0, tzinfo=HCM))
    with running_lobby(tmp_path, clock=clock) as (app, _printer):
        app.open_technician_login()
        answers = [type_technician_pin(app, "1111") for _ in range(5)]
        assert answers == [WRONG_PIN] * 4 + [PIN_LOCKED]
        assert type_technician_pin(app, "246810") == PIN_LOCKED  # the right PIN waits too

    clock.now += timedelta(minutes=4)
    with running_lobby(tmp_path, clock=clock) as (app, _printer):  # the same data folder
        app.open_technician_login()
        assert type_technician_pin(app, "246810") == PIN_LOCKED
        assert app.root.current == "technician_login"
        clock.now += timedelta(minutes=1)  # the 5 minutes of the lock are over
        assert type_technician_pin(app, "246810") is None


def test_a_visit_in_english_prints_its_ticket_in_english(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        tap(app.root.get_screen("welcome").ids.lang_en)
        fields = go_to_fields(app)
        tap(field_button(fields, "cu-tru"))
        assert printer.wait_for_pages(1, timeout=5)
        # Drawn with the bundled font like Vietnamese, not in the printer's fixed-pitch font.
        assert b"QUEUE NUMBER" not in printer.received
        page = Image.open(printer.pages[0]).convert("L")
        assert shows_line(page, "QUEUE NUMBER", app.settings.printer_profile)
        assert shows_line(page, "Residence", app.settings.printer_profile, size=2, bold=True)


def test_an_unexpected_error_in_the_ui_loop_returns_to_welcome_instead_of_crashing(tmp_path):
    from kivy.base import ExceptionManager

    with running_lobby(tmp_path) as (app, _printer):
        go_to_fields(app)
        # What Kivy's event loop does with an exception escaping a callback:
        verdict = ExceptionManager.handle_exception(RuntimeError("a bug in a callback"))
        assert verdict == ExceptionManager.PASS
        assert pump(lambda: app.root.current == "welcome")


IDLE = "[lobby]\nidle_timeout = 5\nidle_warning = 2\nticket_screen_seconds = 5\n"


def test_an_idle_screen_asks_before_it_resets_and_a_touch_keeps_it(tmp_path):
    with running_lobby(tmp_path, extra_config=IDLE) as (app, _printer):
        fields = go_to_fields(app)
        assert not fields.warning_shown
        assert pump(lambda: fields.warning_shown, timeout=5)  # 3 s idle: 2 s before the reset
        question = next(w for w in fields.children if type(w).__name__ == "IdleQuestion")
        assert question.ids.question.text == "Ông/Bà còn ở đây không?"
        assert question.ids.seconds_left.text in {
            f"Màn hình sẽ trở về trang đầu sau {n} giây." for n in (1, 2)
        }
        assert not shown(fields.ids.grid), "the question stands in place of the screen"
        screenshot(tmp_path / "still-there.png")
        tap(question.ids.still_here)
        assert pump(lambda: not fields.warning_shown)
        frames(5)
        assert app.root.current == "fields" and tickets_today(app) == []  # nothing under it
        assert shown(fields.ids.grid)
        assert pump(lambda: fields.warning_shown, timeout=5)
        assert pump(lambda: app.root.current == "welcome", timeout=4)  # no answer: the reset


def test_the_ticket_screen_counts_down_before_it_goes_back(tmp_path):
    with running_lobby(tmp_path, extra_config=IDLE) as (app, _printer):
        tap(field_button(go_to_fields(app), "ho-tich"))
        ticket = app.root.get_screen("ticket")
        assert pump(lambda: ticket.print_state == "printed")
        assert ticket.ids.countdown.text == ""
        assert pump(lambda: ticket.seconds_left > 0, timeout=5)
        assert ticket.ids.countdown.text.startswith("Màn hình sẽ trở về trang đầu sau")
        assert shown(ticket.ids.number), "the number stays in sight"
        assert pump(lambda: app.root.current == "welcome", timeout=4)


def test_the_shipped_pin_is_typed_by_touch_on_a_7_inch_panel_and_the_failed_list_scrolls(
    tmp_path,
):
    """At 800×480 every key of the keypad is reachable (246810 needs 8 and 0, which "Hủy" used
    to cover); the menu lists six failed prints in a scrolled list of whole rows, at least two,
    above buttons that stay in the window."""
    from kivy.core.window import Window
    from kivy.tests import UnitTestTouch

    from tests.support.layout_walk import panel

    with panel((800, 480)), running_lobby(tmp_path, size=(800, 480)) as (app, printer):
        printer.paper_out = True
        for field in ("ho-tich", "chung-thuc", "cu-tru", "tu-van", "ho-tich", "cu-tru"):
            tap(field_button(go_to_fields(app), field))
            assert pump(lambda: app.root.get_screen("ticket").print_state == "failed")
            tap(app.root.get_screen("ticket").ids.done)
        printer.paper_out = False
        app.open_technician_login()
        login = app.root.get_screen("technician_login")
        keys = {b.key: b for b in login.ids.keypad.children}
        for digit in "246810":
            tap(keys[digit])
        assert login.ids.dots.text == "••••••"
        tap(keys["ok"])
        assert pump(lambda: app.root.current == "technician")
        technician = app.root.get_screen("technician")
        assert pump(lambda: len(technician.ids.failed.children) == 6)
        frames(3)
        screenshot(tmp_path / "technician-800x480.png")
        scroll = technician.ids.failed_scroll
        view_bottom, view_top = scroll.y, scroll.top
        rows = technician.ids.failed.children
        whole = [r for r in rows if view_bottom - 1 <= scroll.to_parent(*r.pos)[1]]
        whole = [r for r in whole if scroll.to_parent(r.x, r.top)[1] <= view_top + 1]
        cut = [
            r
            for r in rows
            if scroll.to_parent(r.x, r.top)[1] > view_bottom + 1
            and scroll.to_parent(*r.pos)[1] < view_bottom - 1
        ]
        assert len(whole) >= 2 and not cut, "whole rows only, at least two"
        for button in (technician.ids.test_page, technician.ids.refresh, technician.ids.close):
            assert button.to_window(button.x, button.y)[1] >= 0, "in the window"
            assert button.to_window(button.x, button.top)[1] <= scroll.to_window(0, scroll.y)[1]
        assert "Dữ liệu chờ gửi" in technician.ids.facts.text  # moved off the status line
        # A finger drags the list up (twice: it is longer than the window) to its last row,
        # which prints again on a tap.
        for _ in range(2):
            x, y = scroll.to_window(scroll.center_x, scroll.y + mm(3))
            drag = UnitTestTouch(x, y)
            drag.touch_down()
            for step in range(1, 11):
                drag.touch_move(x, min(Window.height - 1, y + step * mm(8)))
                frames(1)
            drag.touch_up()
            pump(timeout=0.5)
        assert pump(lambda: scroll.scroll_y < 0.02, timeout=5)
        last = rows[0]  # children run from the bottom row up
        frames(3)
        assert scroll.to_parent(*last.pos)[1] >= view_bottom - 1
        assert printer.pages == [], "a drag is not a tap"
        tap(last)
        assert printer.wait_for_pages(1, timeout=5)
        assert pump(lambda: [t.label for t in tickets_today(app) if t.print_status == "printed"])
        assert [t.label for t in tickets_today(app) if t.print_status == "printed"] == ["4002"]
