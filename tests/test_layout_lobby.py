"""Every lobby screen usable on every panel: the lobby walked through by touch at the four panel
sizes, each state audited (tests/support/layout_audit.py) at the panel's pixel density. A failure
lists every defect by screen, state, size and widget.

The walk goes through every message a citizen or technician can meet: each printer fault on the
welcome screen and on the ticket, the server's state, the closed office, the fields' refusals,
every reason a card read is refused, the card reader going away, a card whose fields disagree,
"are you still there?" before an idle screen resets, a visit in English, and the technician's
PIN and menu."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from devices.virtual_scanner import VirtualScanner
from kiosk import paths
from kiosk.sync import SyncStatus
from tests.support.clocks import RunningClock, office_hours_now
from tests.support.device import device_config
from tests.support.layout_walk import SIZES, Auditor, WalkStopped, panel, report
from tests.support.ui import field_button, go_to_fields, running_lobby, tap

CARD_TEXT = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường Trung"
    " Văn, Quận Nam Từ Liêm, Hà Nội|20042021"
)
CARD = CARD_TEXT.encode()
# The ID number's 4th digit (0) says a man born in the 1900s; the card says "Nữ".
CARD_SEX_MISMATCH = CARD_TEXT.replace("|Nam|", "|Nữ|").encode()
GARBLED_TWICE = CARD_TEXT.encode().decode("latin-1").encode().decode("latin-1").encode()
TRUNCATED = b"001099012345|013456789|Nguy"
BAD_BIRTH_DATE = CARD_TEXT.replace("15031999", "32131999").encode()
WARNING = 3  # seconds of "are you still there?" in the walk


def walk_config(tmp_path, scanner: VirtualScanner):
    """The shipped configuration on the walk's scanner twin and a clock in office hours; the
    field "Nhận kết quả" has a single number, so its second ticket is refused."""
    catalogue = (paths.SHIPPED_CONFIG_DIR / "catalogue.toml").read_text("utf-8")
    assert catalogue.count("last = 7999") == 1
    kiosk = (
        "[printer]\nstatus_interval = 0.5\nwrite_timeout = 1.0\n"
        f'[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\ndebounce_seconds = 0.5\n'
        "[office]\nclosed_outside_hours = true\n"
        f"[lobby]\nidle_warning = {WARNING}\n"
    )
    return device_config(
        tmp_path, kiosk=kiosk, catalogue=catalogue.replace("last = 7999", "last = 7001")
    )


def lobby_walk(app, printer, scanner: VirtualScanner, clock, auditor: Auditor) -> None:
    check, reach = auditor.check, auditor.reach
    welcome = app.root.get_screen("welcome")
    check("ready")
    tap(welcome.ids.lang_en)
    reach(lambda: app.language == "en")
    check("english")
    printer.paper_out = True
    reach(lambda: "paper" in app.printer_notice)
    check("printer out of paper, english")
    tap(welcome.ids.lang_vi)
    reach(lambda: "hết giấy" in app.printer_notice)
    check("printer out of paper")
    printer.paper_out = False
    printer.cover_open = True
    reach(lambda: "Nắp" in app.printer_notice)
    check("printer cover open")
    printer.cover_open = False
    printer.offline = True
    reach(lambda: "không phản hồi" in app.printer_notice)
    check("printer not responding")
    printer.offline = False
    printer.paper_near_end = True
    reach(lambda: not app.printer_notice and "sắp hết giấy" in app.status_text)
    check("printer paper running low")
    printer.paper_near_end = False
    reach(lambda: "sẵn sàng" in app.status_text)

    # The server's side of the status line, as the sync worker reports it.
    since = datetime.now(app.settings.office.timezone) - timedelta(minutes=20)
    app._sync_changed(SyncStatus("offline", since, 42, 0, "timed out"))
    reach(lambda: "Mất kết nối" in app.status_text)
    check("server down")
    app._sync_changed(SyncStatus("online", None, 0, 0, "", clock_off_minutes=7))
    reach(lambda: "7 phút" in app.status_text)
    check("device clock slow")
    app._sync_changed(SyncStatus("not_configured", None, 0, 0, ""))

    clock.set(clock().replace(hour=5, minute=0))
    tap(welcome.ids.lang_en)
    reach(lambda: bool(app.closed_notice) and app.language == "en")
    check("closed, english")
    tap(welcome.ids.lang_vi)
    reach(lambda: bool(app.closed_notice) and app.language == "vi")
    check("closed")
    clock.set(clock().replace(hour=10, minute=0))
    tap(welcome.ids.lang_en)
    tap(welcome.ids.lang_vi)
    reach(lambda: not app.closed_notice)

    fields = go_to_fields(app)
    check("fields")
    still_there(app, fields, auditor)
    tap(fields.ids.back)
    reach(lambda: app.root.current == "welcome")
    take_ticket_without_card(app, "nhan-ket-qua", reach)
    tap(app.root.get_screen("ticket").ids.done)
    tap(field_button(go_to_fields(app), "nhan-ket-qua"))
    reach(lambda: app.root.current == "id_consent")
    tap(app.root.get_screen("id_consent").ids.decline)
    reach(lambda: app.root.current == "fields" and bool(fields.message))
    check("no more numbers for the field")
    issue = app.tickets.issue

    def broken_store(*args, **kwargs):
        app.tickets.issue = issue
        raise OSError("disk I/O error")

    app.tickets.issue = broken_store
    tap(field_button(fields, "ho-tich"))
    reach(lambda: app.root.current == "id_consent")
    tap(app.root.get_screen("id_consent").ids.decline)
    reach(lambda: app.root.current == "fields" and bool(fields.message))
    check("number not issued")

    # The card reader unplugged: no card step; the number is issued from the fields screen.
    scanner.unplug()
    reach(lambda: app.scanner.state != "connected")
    release = threading.Event()

    def slow_store(*args, **kwargs):
        app.tickets.issue = issue
        release.wait(10)
        return issue(*args, **kwargs)

    app.tickets.issue = slow_store
    tap(field_button(fields, "cu-tru"))
    reach(lambda: fields.busy)
    check("issuing the number")
    release.set()
    ticket = app.root.get_screen("ticket")
    reach(lambda: app.root.current == "ticket" and ticket.print_state == "printed")
    tap(ticket.ids.done)
    scanner.replug()
    reach(lambda: app.scanner.state == "connected")
    fields = go_to_fields(app)

    tap(field_button(fields, "ho-tich"))
    reach(lambda: app.root.current == "id_consent")
    consent = app.root.get_screen("id_consent")
    check("consent")
    tap(consent.ids.agree)
    reach(lambda: app.root.current == "id_scan")
    check("waiting for the card")
    scan = app.root.get_screen("id_scan")
    for payload, state in (
        (b"https://dichvucong.gov.vn/", "not an ID card"),
        (GARBLED_TWICE, "garbled letters"),
        (TRUNCATED, "read in part"),
        (BAD_BIRTH_DATE, "invalid data"),
    ):
        scan.problem = ""
        scanner.scan(payload)
        reach(lambda: bool(scan.problem))
        check(state)
    scanner.unplug()
    reach(lambda: "không hoạt động" in scan.problem)
    check("card reader gone")
    scanner.replug()
    reach(lambda: not scan.problem)
    scanner.scan(CARD)
    reach(lambda: app.root.current == "id_confirm")
    confirm = app.root.get_screen("id_confirm")
    check("card read")
    still_there(app, confirm, auditor, lands_on="id_scan")
    scanner.scan(CARD_SEX_MISMATCH)
    reach(lambda: app.root.current == "id_confirm" and confirm.mismatch)
    check("card details disagree")
    tap(confirm.ids.not_correct)
    reach(lambda: app.root.current == "ticket")
    reach(lambda: ticket.print_state == "printed")
    check("printed")
    ticket.timeout = WARNING + 0.5  # a moment before the screen goes back by itself
    reach(lambda: ticket.seconds_left > 0)
    check("printed, counting down")
    tap(ticket.ids.done)
    reach(lambda: app.root.current == "welcome")

    tap(welcome.ids.lang_en)
    fields = go_to_fields(app)
    check("fields, english")
    tap(field_button(fields, "cu-tru"))
    reach(lambda: app.root.current == "id_consent")
    check("consent, english")
    tap(consent.ids.agree)
    reach(lambda: app.root.current == "id_scan")
    check("waiting for the card, english")
    scanner.scan(CARD_SEX_MISMATCH)
    reach(lambda: app.root.current == "id_confirm")
    check("card details disagree, english")
    tap(confirm.ids.rescan)
    reach(lambda: app.root.current == "id_scan")
    scanner.scan(CARD)
    reach(lambda: app.root.current == "id_confirm" and not confirm.mismatch)
    check("card read, english")
    tap(confirm.ids.correct)
    reach(lambda: ticket.print_state == "printed")
    check("printed, english")
    tap(ticket.ids.done)
    reach(lambda: app.root.current == "welcome" and app.language == "vi")

    printer.paper_out = True
    reach(lambda: bool(app.printer_notice))
    take_ticket_without_card(app, "chung-thuc", reach)
    check("print failed")
    tap(ticket.ids.done)
    printer.paper_out = False
    printer.offline = True
    reach(lambda: "không phản hồi" in app.printer_notice)
    take_ticket_without_card(app, "chung-thuc", reach)
    check("print failed, printer not responding")
    tap(ticket.ids.done)
    printer.offline = False
    printer.paper_out = True
    for field in ("cu-tru", "tu-van", "chung-thuc", "cu-tru"):
        take_ticket_without_card(app, field, reach)
        tap(ticket.ids.done)
    printer.paper_out = False
    reach(lambda: not app.printer_notice)
    # The printer stops answering as a ticket is cut: it went to the printer, whether it came out
    # is unknown.
    printer.on_page = lambda _page: setattr(printer, "offline", True)
    take_ticket_without_card(app, "tu-van", reach)
    assert "Nếu phiếu chưa ra" in ticket.failure_reason
    check("print outcome unknown")
    tap(ticket.ids.done)
    printer.on_page = None
    printer.offline = False
    reach(lambda: not app.printer_notice)

    app.open_technician_login()  # the long press on the status line (tests/test_technician_mode.py)
    login = app.root.get_screen("technician_login")
    check("PIN")
    keys = {b.key: b for b in login.ids.keypad.children}
    for digit in "1111":
        tap(keys[digit])
    check("PIN typed")
    tap(keys["ok"])
    reach(lambda: bool(login.message))
    check("wrong PIN")
    for digit in "246810":
        tap(keys[digit])
    tap(keys["ok"])
    reach(lambda: app.root.current == "technician")
    technician = app.root.get_screen("technician")
    reach(lambda: len(technician.ids.failed.children) == 7)
    assert "có thể đã in" in technician.ids.failed_title.text
    check("six failed tickets, one that may have printed")
    tap(technician.ids.test_page)
    reach(lambda: technician.message == "Đã in.")
    check("test page printed")
    scanner.scan(CARD)
    reach(lambda: "2345" in technician.scan)
    check("a card held to the scanner")
    tap(technician.ids.export_logs)
    reach(lambda: "USB" in technician.message)
    check("no USB stick")
    tap(technician.ids.close)
    reach(lambda: app.root.current == "welcome")
    app.open_technician_login()
    for _ in range(5):
        for digit in "1111":
            tap(keys[digit])
        tap(keys["ok"])
        reach(lambda: not login.checking)
    reach(lambda: "quá nhiều" in login.message)
    check("PIN locked")


def still_there(app, screen, auditor: Auditor, lands_on: str | None = None) -> None:
    """The question before `screen` resets, a moment before it would; a touch answers it and
    the walk is back on the screen (or on `lands_on`: the card's confirmation sends whoever
    answers to scan again)."""
    saved = screen.timeout
    screen.timeout = WARNING + 0.5
    auditor.reach(lambda: screen.warning_shown)
    auditor.check("are you still there?")
    question = next(w for w in screen.children if type(w).__name__ == "IdleQuestion")
    tap(question.ids.still_here)
    target = lands_on or screen.name
    auditor.reach(lambda: not screen.warning_shown and app.root.current == target)
    screen.timeout = saved


def take_ticket_without_card(app, field: str, reach: Callable[[Callable[[], bool]], None]) -> None:
    """A ticket, the citizen declining the card step; returns once its print is over."""
    tap(field_button(go_to_fields(app), field))
    reach(lambda: app.root.current == "id_consent")
    tap(app.root.get_screen("id_consent").ids.decline)
    ticket = app.root.get_screen("ticket")
    reach(lambda: app.root.current == "ticket" and ticket.print_state != "printing")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_lobby_screen_fits_the_panel(tmp_path, size):
    scanner = VirtualScanner(tmp_path / "qr-scanner")  # comes back at the same path
    clock = RunningClock(office_hours_now(10))
    try:
        with (
            panel(size) as px_per_mm,
            running_lobby(
                tmp_path, size=size, config=walk_config(tmp_path, scanner), clock=clock
            ) as (app, printer),
        ):
            auditor = Auditor(app, tmp_path, px_per_mm)
            with contextlib.suppress(WalkStopped):
                lobby_walk(app, printer, scanner, clock, auditor)
    finally:
        scanner.close()
    assert not auditor.problems, report(auditor.problems)


def test_every_shipped_field_colour_carries_white_text():
    """The field buttons' white text on the catalogue's colours: 4.5:1 at least, whatever the
    size the panel gives the text."""
    import tomllib

    from tests.support.layout_audit import contrast

    catalogue = tomllib.loads((paths.SHIPPED_CONFIG_DIR / "catalogue.toml").read_text("utf-8"))
    for field in catalogue["fields"]:
        colour = field["colour"]
        rgb = tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        assert contrast(rgb, (1, 1, 1)) >= 4.5, (field["id"], colour)
