"""Every lobby screen usable on every panel: the lobby walked through by touch at the four panel
sizes, each state audited (tests/support/layout_audit.py) at the panel's pixel density. A failure
lists every defect by screen, state, size and widget."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from devices.virtual_scanner import VirtualScanner
from tests.support.layout_walk import SIZES, Auditor, WalkStopped, panel, report
from tests.support.ui import (
    field_button,
    go_to_fields,
    running_lobby,
    tap,
)

CARD = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường Trung"
    " Văn, Quận Nam Từ Liêm, Hà Nội|20042021"
).encode()


def lobby_walk(app, printer, scanner: VirtualScanner, auditor: Auditor) -> None:
    check, reach = auditor.check, auditor.reach
    check("ready")
    app.set_language("en")
    check("english")
    app.set_language("vi")
    printer.paper_out = True
    reach(lambda: app.printer_state is not None and "giấy" in app.status_text)
    check("printer out of paper")
    printer.paper_out = False
    reach(lambda: "giấy" not in app.status_text)
    fields = go_to_fields(app)
    check("fields")
    tap(field_button(fields, "ho-tich"))
    reach(lambda: app.root.current == "id_consent")
    check("consent")
    tap(app.root.get_screen("id_consent").ids.agree)
    reach(lambda: app.root.current == "id_scan")
    check("waiting for the card")
    scan = app.root.get_screen("id_scan")
    scanner.scan(b"https://dichvucong.gov.vn/")
    reach(lambda: bool(scan.problem))
    check("not an ID card")
    scanner.scan(CARD)
    reach(lambda: app.root.current == "id_confirm")
    check("card read")
    tap(app.root.get_screen("id_confirm").ids.correct)
    reach(lambda: app.root.current == "ticket")
    reach(lambda: app.root.get_screen("ticket").print_state == "printed")
    check("printed")
    app.go_home()
    printer.paper_out = True
    take_ticket_without_card(app, "chung-thuc", reach)
    check("print failed")
    app.go_home()
    for field in ("chung-thuc", "cu-tru", "tu-van", "chung-thuc", "cu-tru"):
        take_ticket_without_card(app, field, reach)
        app.go_home()
    printer.paper_out = False
    app.open_technician_login()
    login = app.root.get_screen("technician_login")
    check("PIN")
    keys = {b.key: b for b in login.ids.keypad.children}
    for digit in "1111":
        tap(keys[digit])
    tap(keys["ok"])
    reach(lambda: bool(login.message))
    check("wrong PIN")
    for digit in "246810":
        tap(keys[digit])
    tap(keys["ok"])
    reach(lambda: app.root.current == "technician")
    technician = app.root.get_screen("technician")
    reach(lambda: len(technician.ids.failed.children) == 6)
    check("six failed tickets")


def take_ticket_without_card(app, field: str, reach: Callable[[Callable[[], bool]], None]) -> None:
    """A ticket while the printer is out of paper; the citizen declines the card step."""
    tap(field_button(go_to_fields(app), field))
    reach(lambda: app.root.current == "id_consent")
    tap(app.root.get_screen("id_consent").ids.decline)
    reach(lambda: app.root.get_screen("ticket").print_state == "failed")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_lobby_screen_fits_the_panel(tmp_path, size):
    scanner = VirtualScanner()
    extra = f'\n[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n'
    try:
        with (
            panel(size) as px_per_mm,
            running_lobby(tmp_path, size=size, extra_config=extra) as (
                app,
                printer,
            ),
        ):
            auditor = Auditor(app, tmp_path, px_per_mm)
            with contextlib.suppress(WalkStopped):
                lobby_walk(app, printer, scanner, auditor)
    finally:
        scanner.close()
    assert not auditor.problems, report(auditor.problems)
