"""Every counter screen usable on every panel: the counter terminal walked through by touch at
the four panel sizes (sign-in, desk, skip confirmation, the server down, the typed number, the
officer's close form, the citizen's faces, reasons and thanks), each state audited
(tests/support/layout_audit.py) at the panel's pixel density. A failure lists every defect by
screen, state, size and widget."""

from __future__ import annotations

import contextlib

import pytest

from devices.scanner_envelope import unwrap
from tests.support.counter import PINS, CounterOffice, counter_office
from tests.support.layout_walk import SIZES, Auditor, WalkStopped, panel, report
from tests.support.ui import running_counter, tap

CARD = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường"
    " Trung Văn, Hà Nội|20042021"
)


def type_on(screen, keys: str | list[str]) -> None:
    """Taps the keys of the screen's keypad, one after the other."""
    buttons = {b.key: b for b in screen.ids.keypad.children}
    for key in keys:
        tap(buttons[key])


def dossier_code_walk(app, close, auditor: Auditor) -> None:
    """The dossier code typed on the on-screen keyboard: a wrong one refused with the example,
    then dropped (the field is optional by default)."""
    check, reach = auditor.check, auditor.reach
    tap(close.ids.dossier_keyboard)
    reach(lambda: app.root.current == "keyboard")
    keyboard = app.root.get_screen("keyboard")
    keys = {b.key: b for b in keyboard.ids.key_grid.children}
    for key in "h26-1":
        tap(keys[key])
    reach(lambda: keyboard.entry == "h26-1")
    check("dossier code typed")
    tap(keys["ok"])
    reach(lambda: app.root.current == "counter_close" and not close.complete)
    assert close.ids.missing.text.startswith("Mã hồ sơ không đúng định dạng, ví dụ 000.00.21")
    check("dossier code refused")
    close.ids.dossier.text = ""
    reach(lambda: close.complete)


def counter_walk(app, office: CounterOffice, auditor: Auditor) -> None:
    check, reach = auditor.check, auditor.reach
    signin = app.root.get_screen("counter_signin")
    check("choose your name")
    technician_walk(app, auditor)
    tap(next(b for b in signin.ids.officers.children if b.officer_id == "officer-an"))
    reach(lambda: signin.officer_id == "officer-an")
    check("enter your PIN")
    type_on(signin, "13")
    reach(lambda: signin.entry == "13")
    check("PIN typed")
    type_on(signin, ["9", "9", "ok"])
    reach(lambda: bool(signin.message) and not signin.checking)
    check("wrong PIN")
    type_on(signin, [*PINS["officer-an"], "ok"])
    reach(lambda: app.root.current == "counter_desk")
    desk = app.desk
    check("idle")

    tap(desk.button("call_next"))
    reach(lambda: "chờ" in desk.message)
    check("no one is waiting")
    office.issue()
    office.issue(priority=True)
    tap(desk.button("call_next"))
    reach(lambda: desk.state == "called" and desk.priority)
    check("called, priority")
    tap(desk.button("recall"))
    reach(lambda: "gọi lại" in desk.message)
    check("recalled")
    tap(desk.button("skip"))
    reach(lambda: desk.confirming)
    check("skip confirmation")
    tap(desk.button("confirm_skip"))
    reach(lambda: desk.state == "idle" and "bỏ qua" in desk.message)
    check("skipped")
    tap(desk.button("call_next"))
    reach(lambda: desk.state == "called" and not desk.priority)
    check("called")
    tap(desk.button("start_serving"))
    reach(lambda: desk.state == "serving")
    check("serving")

    tap(desk.button("finish"))
    reach(lambda: app.root.current == "counter_close")
    close = app.root.get_screen("counter_close")
    check("nothing chosen")
    tap(next(reversed(close.ids.outcomes.children)))
    tap(close.ids.same_day)
    for toggle in close.level_toggles():
        if toggle.level == 2:
            tap(toggle)
    reach(lambda: close.complete)
    check("all chosen")
    dossier_code_walk(app, close, auditor)
    tap(close.ids.confirm)
    reach(lambda: app.root.current == "counter_rating")
    rating = app.root.get_screen("counter_rating")
    reach(lambda: rating.seconds_left > 0)
    check("faces")
    tap(list(reversed(rating.ids.faces.children))[-1])
    reach(lambda: app.root.current == "counter_reasons")
    reasons = app.root.get_screen("counter_reasons")
    tap(next(reversed(reasons.ids.reasons.children)))
    check("reasons")
    tap(reasons.ids.send)
    reach(lambda: app.root.current == "counter_thanks")
    check("thanks")
    thanks = app.root.get_screen("counter_thanks")
    thanks.timeout = 0.3  # the citizen's thanks is shown for 5 s
    thanks.restart_idle_timer()
    reach(lambda: app.root.current == "counter_desk")

    office.stop()
    tap(desk.button("call_next"))
    reach(lambda: "nhập số" in desk.message)
    check("server down")
    tap(desk.button("enter_number"))
    reach(lambda: app.root.current == "counter_entry")
    entry = app.root.get_screen("counter_entry")
    check("empty")
    type_on(entry, "999")
    reach(lambda: entry.entry == "999")
    check("digits")
    type_on(entry, ["ok"])
    reach(lambda: bool(entry.message) and not entry.checking)
    check("refused")
    type_on(entry, "1005")
    tap(entry.ids.priority)
    reach(lambda: entry.entry == "1005" and entry.ids.priority.state == "down")
    check("priority number typed")
    type_on(entry, ["ok"])
    reach(lambda: app.root.current == "counter_desk" and desk.state == "called")
    check("typed number called, server down")


def technician_walk(app, auditor: Auditor) -> None:
    """The technician's PIN and menu, with an ID card held to the scanner (shown masked)."""
    app.open_technician_login()  # holding the status line (tests/test_technician_mode.py)
    login = app.root.get_screen("technician_login")
    auditor.check("technician PIN")
    type_on(login, [*"246810", "ok"])
    auditor.reach(lambda: app.root.current == "technician")
    technician = app.root.get_screen("technician")
    auditor.reach(lambda: bool(technician.facts))
    app.technician_scan(unwrap(b"]Q1" + CARD.encode() + b"\r\n"))
    auditor.reach(lambda: "2345" in technician.scan and "]Q1" in technician.scan)
    auditor.check("technician menu, a card read")
    tap(technician.ids.close)
    auditor.reach(lambda: app.root.current == "counter_signin")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_counter_screen_fits_the_panel(tmp_path, size):
    with (
        counter_office(tmp_path) as office,
        panel(size) as px_per_mm,
        running_counter(office.config, size=size) as app,
    ):
        auditor = Auditor(app, tmp_path, px_per_mm)
        with contextlib.suppress(WalkStopped):
            counter_walk(app, office, auditor)
    assert not auditor.problems, report(auditor.problems)
