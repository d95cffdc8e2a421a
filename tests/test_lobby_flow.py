"""The lobby as a citizen uses it: welcome → field → ticket, driven through the real window."""

from __future__ import annotations

from datetime import datetime, timedelta

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
        assert pump(lambda: "không phản hồi" in welcome.ids.status_line.text)
        assert app.status_alert
        fields = go_to_fields(app)
        tap(field_button(fields, "tu-van"))
        assert pump(lambda: app.root.get_screen("ticket").print_state == "failed")
        assert "chưa in được phiếu" in app.root.get_screen("ticket").ids.status.text


def test_status_line_follows_the_printer(tmp_path):
    with running_lobby(tmp_path) as (app, printer):
        welcome = app.root.get_screen("welcome")
        printer.paper_out = True
        assert pump(lambda: "hết giấy" in welcome.ids.status_line.text)
        printer.paper_out = False
        assert pump(lambda: "sẵn sàng" in welcome.ids.status_line.text)


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
