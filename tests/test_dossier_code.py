"""The dossier code (mã hồ sơ) at "Kết thúc phiên": its settings checked by check-config, the
code normalised and refused when it is not one, the close screen in a real window taking it by
physical keyboard and by the counter's real (pseudo-terminal) scanner, and the code reaching a
real central server through session.closed and out again in the per-session export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from common.office_clock import default_rule
from kiosk.config import ConfigError, load_config
from kiosk.dossier_codes import (
    ID_CARD,
    NOT_MATCHING,
    PERSONAL_DATA,
    REQUIRED_MISSING,
    TICKET,
    DossierCodeRefused,
)
from tests.support.central import central_server, viewer_token
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Lobby, office_device_config
from tests.support.device import OFFICE, enrol, write_override
from tests.support.ui import frames, pump, running_counter, screenshot, tap

CARD = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường"
    " Trung Văn, Hà Nội|20042021"
)
RECEIPT = "000.00.21.H26-240101-0001"


def policy(tmp_path: Path, lines: str):
    return load_config(write_override(tmp_path / "etc", kiosk=f"[counter]\n{lines}\n")).counter


def test_the_shipped_setting_takes_a_provincial_receipt_code_and_is_optional(tmp_path):
    dossier = load_config(tmp_path).counter.dossier_code
    assert (dossier.mode, dossier.example) == ("optional", RECEIPT)
    assert dossier.check("  000.00.21.h26-240101-0001\r\n") == RECEIPT  # stripped, capitals
    assert dossier.check("HS/2026/ABC_12") == "HS/2026/ABC_12"
    assert dossier.check("") is None  # optional: may be left empty


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ('dossier_code = "maybe"', 'dossier_code = "maybe" — must be one of "off", "optional"'),
        (
            'dossier_code_pattern = "[A-Z"',
            'dossier_code_pattern = "[A-Z" — is not a valid regular expression:',
        ),
        ('dossier_code_example = "ab-123456"', 'dossier_code_example = "ab-123456" — must be in'),
        (
            'dossier_code_pattern = "[0-9]{6}"',
            'dossier_code_example = "000.00.21.H26-240101-0001" — must match dossier_code_pattern',
        ),
    ],
)
def test_bad_settings_are_config_errors_naming_the_key(tmp_path, lines, expected):
    with pytest.raises(ConfigError) as caught:
        policy(tmp_path, lines)
    assert "kiosk.toml: [counter] " in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (CARD, ID_CARD),
        ("001099012345", PERSONAL_DATA),  # a số định danh alone
        ("HS-001099012345", PERSONAL_DATA),  # or inside a code
        ("VNQ1|00637|20261202|1001|lobby-01|ABCDEFGHIJKLMNOP", TICKET),
        ("H26 0001", NOT_MATCHING),  # a space: not in the default pattern
        ("A" * 41, NOT_MATCHING),
        ("   ", REQUIRED_MISSING),
    ],
)
def test_a_required_code_refuses_personal_data_tickets_and_other_forms(tmp_path, text, refusal):
    dossier = policy(tmp_path, 'dossier_code = "required"').dossier_code
    with pytest.raises(DossierCodeRefused) as caught:
        dossier.check(text)
    assert caught.value.message == refusal


def test_off_takes_nothing_and_a_site_pattern_is_matched_in_capitals(tmp_path):
    assert policy(tmp_path, 'dossier_code = "off"').dossier_code.check(RECEIPT) is None
    site = policy(
        tmp_path / "site",
        'dossier_code_pattern = "H26-[0-9]{6}-[0-9]{4}"\ndossier_code_example = "H26-240101-0001"',
    ).dossier_code
    assert site.check("h26-240101-0007") == "H26-240101-0007"
    with pytest.raises(DossierCodeRefused):
        site.check(RECEIPT)


@pytest.fixture
def counter_with_scanner(tmp_path, request):
    """A central server, a lobby that issued ticket 1001, and counter 1 with a pseudo-terminal
    scanner and dossier_code = "required" (or the mode given as the fixture's parameter)."""
    from devices.virtual_scanner import VirtualScanner

    mode = getattr(request, "param", "required")
    scanner = VirtualScanner()
    with central_server(tmp_path) as central:
        clock = Clock(office_morning())
        lobby = Lobby(tmp_path / "lobby", clock)
        try:
            lobby.enrol(central)
            ticket = lobby.issue("ho-tich")
            clock.now += timedelta(seconds=20)
            lobby.sync()
            config = office_device_config(
                tmp_path / "counter",
                device_id="counter-01",
                role="counter",
                kiosk=f'[counter]\nnumber = 1\ndossier_code = "{mode}"\n\n'
                f'[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n',
            )
            enrol(config, central, counter=1)
            yield config, central, scanner, ticket
        finally:
            lobby.close()
            scanner.close()


def open_close_form_rated(app):
    """Signs officer An in, calls and serves 1001, opens the close form and chooses the first
    outcome and the best level; returns the close screen."""
    signin = app.root.get_screen("counter_signin")
    tap(next(b for b in signin.ids.officers.children if b.officer_id == "officer-an"))
    keys = {b.key: b for b in signin.ids.keypad.children}
    for key in [*PINS["officer-an"], "ok"]:
        tap(keys[key])
    assert pump(lambda: app.root.current == "counter_desk")
    tap(app.desk.button("call_next"))
    assert pump(lambda: app.desk.state == "called")
    tap(app.desk.button("start_serving"))
    assert pump(lambda: app.desk.state == "serving")
    tap(app.desk.button("finish"))
    assert pump(lambda: app.root.current == "counter_close")
    close = app.root.get_screen("counter_close")
    frames(2)
    tap(next(reversed(close.ids.outcomes.children)))
    tap(next(t for t in close.level_toggles() if t.level == 1))
    return close


@pytest.mark.parametrize("counter_with_scanner", ["off"], indirect=True)
def test_off_shows_no_field_ignores_a_scan_and_sends_no_code(counter_with_scanner):
    config, central, _scanner, _ticket = counter_with_scanner
    with running_counter(config, size=(800, 480)) as app:
        close = open_close_form_rated(app)
        assert close.ids.dossier_row.height == 0 and close.ids.dossier_row.disabled
        app.on_scan(RECEIPT.encode())  # what the scanner's reader hands the app, on its thread
        assert close.dossier_code == "" and close.complete
        tap(close.ids.confirm)
        assert pump(lambda: app.root.current == "counter_rating")
        assert pump(lambda: app.store.outbox.summary()["pending"] == 0, timeout=20)
    [row] = exported_sessions(central)
    assert row["label"] == "1001" and row["dossier_code"] is None


def exported_sessions(central) -> list[dict]:
    """The per-session export of the test's office day, read as a viewer."""
    day = default_rule().day_of(office_morning()).isoformat()
    query = {"from": day, "to": day, "token": viewer_token(central.database_url, OFFICE)}
    url = f"{central.url}/api/v1/offices/{OFFICE}/reports/sessions"
    return httpx.get(url, params=query, timeout=10).json()["sessions"]


def test_the_close_screen_takes_a_scanned_receipt_refuses_a_card_and_a_ticket_and_exports_it(
    counter_with_scanner, tmp_path
):
    config, central, scanner, ticket = counter_with_scanner
    with running_counter(config, size=(1024, 600)) as app:
        close = open_close_form_rated(app)
        assert close.ids.missing.text == "Nhập hoặc quét mã hồ sơ"  # required: blocks closing
        assert close.ids.confirm.disabled

        # A physical keyboard types into the field (Kivy's text input takes the key events).
        field = close.ids.dossier
        field.focus = True
        field.insert_text("h26 1")
        assert pump(lambda: close.dossier_code == "h26 1")
        assert close.ids.missing.text.startswith("Mã hồ sơ không đúng định dạng, ví dụ")
        for payload, words in [
            (CARD, "Đây là thẻ căn cước, không phải mã hồ sơ: không nhận"),
            (ticket.qr_payload, "Đây là phiếu số thứ tự, không phải mã hồ sơ: không nhận"),
        ]:
            scanner.scan(payload.encode())
            assert pump(lambda words=words: close.ids.missing.text == words)
            assert field.text == ""  # nothing of the card stays on the screen
            assert close.ids.confirm.disabled
        screenshot(tmp_path / "close-card-refused.png")

        scanner.scan(b"000.00.21.h26-240101-0001")
        assert pump(lambda: close.complete)
        assert field.text == RECEIPT
        tap(close.ids.confirm)
        assert pump(lambda: app.root.current == "counter_rating")
        tap(next(reversed(app.root.get_screen("counter_rating").ids.faces.children)))
        assert pump(lambda: app.store.outbox.summary()["pending"] == 0, timeout=20)

    token = viewer_token(central.database_url, OFFICE)
    day = default_rule().day_of(office_morning()).isoformat()
    url = f"{central.url}/api/v1/offices/{OFFICE}/reports/sessions"
    query = {"from": day, "to": day, "token": token}
    body = httpx.get(url, params=query, timeout=10).json()
    [row] = body["sessions"]
    assert (row["label"], row["counter"], row["officer_id"]) == ("1001", 1, "officer-an")
    assert (row["officer_rating_level"], row["citizen_rated"], row["citizen_rating_level"]) == (
        1,
        True,
        1,
    )
    assert row["dossier_code"] == RECEIPT
    reply = httpx.get(url, params={**query, "format": "csv"}, timeout=10)
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    [header, *rows] = list(csv.reader(io.StringIO(reply.text)))
    assert header[0] == "day" and header[-1] == "dossier_code"
    assert [dict(zip(header, r, strict=True))["dossier_code"] for r in rows] == [RECEIPT]
    page = httpx.get(f"{url[: -len('sessions')]}satisfaction/page", params=query, timeout=10)
    assert "../sessions?from=" in page.text and "format=csv" in page.text
