"""Technician mode as a technician uses it: the hidden way in (a status line held, then the PIN)
on every role, the live scanner view with a card masked and kept nowhere, the hall display's
speaker test heard on its virtual speaker, and the logs exported to a USB stick with nothing
personal in them, after a citizen's ID card went through the lobby.

Real parts: the Kivy window, the scanner twin on a pseudo-terminal, the log files written by the
kiosk's own logging set-up, and a stick that is a real tmpfs mount (root only: the export tests
are skipped and say why where nothing can be mounted)."""

from __future__ import annotations

import json
import logging

import pytest
from kivy.tests import UnitTestTouch

from devices.speaker import read_journal
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id_samples import load_samples
from kiosk.logging_setup import configure_logging
from tests.support.counter import PINS, office_device_config
from tests.support.processes import REPO_ROOT
from tests.support.ui import (
    display_config,
    frames,
    pump,
    running_counter,
    running_display,
    running_lobby,
    tap,
)
from tests.test_lobby_citizen_id import to_scan
from tests.test_log_export import mounted_stick

SAMPLES_FILE = REPO_ROOT.parent / "shared" / "data" / "cccd_samples.txt"
PIN = "246810"


@pytest.fixture
def scanner():
    twin = VirtualScanner()
    yield twin
    twin.close()


@pytest.fixture
def card():
    """The shared samples' first card: its payload, ID number and name."""
    sample = load_samples(SAMPLES_FILE)[0]
    return sample.payload, sample.fields["id"], sample.fields["name"]


@pytest.fixture
def kiosk_logging(tmp_path):
    """The kiosk's own log files (kiosk.logging_setup), at DEBUG, in tmp_path/data/logs; the
    test's logging is given back after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(tmp_path / "data" / "logs", verbose=True)
    yield tmp_path / "data" / "logs"
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def scanner_config(scanner: VirtualScanner) -> str:
    return f'[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\ndebounce_seconds = 0.2\n'


def hold(widget, until, timeout: float = 5.0) -> bool:
    """A finger held on `widget` until `until()` (or `timeout` s), then lifted; whether it came."""
    frames(2)
    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    came = pump(until, timeout=timeout)
    touch.touch_up()
    return came


def type_pin(app, pin: str = PIN) -> None:
    login = app.root.get_screen("technician_login")
    keys = {b.key: b for b in login.ids.keypad.children}
    for key in [*pin, "ok"]:
        tap(keys[key])
    assert pump(lambda: app.root.current == "technician")


def test_holding_the_counters_status_line_opens_the_pin_and_a_card_shows_masked(
    tmp_path, scanner, card, caplog
):
    caplog.set_level(logging.DEBUG)
    payload, id_number, name = card
    config = office_device_config(
        tmp_path, device_id="counter-01", role="counter", kiosk=scanner_config(scanner)
    )
    with running_counter(config) as app:
        status = app.root.get_screen("counter_signin").ids.status
        status.hold_seconds = 0.3  # 3 s on the device; the gesture is the same
        tap(status)
        frames(3)
        assert app.root.current == "counter_signin"  # a tap is not the long press
        assert hold(status, lambda: app.root.current == "technician_login")
        type_pin(app)
        technician = app.root.get_screen("technician")
        # The doctor's findings come from their own thread, in the device's language.
        assert pump(lambda: "Cấu hình" in dict(technician.facts))
        names = [name for name, _value in technician.facts]
        warnings = [v for n, v in technician.facts if n == "Cấu hình" and v.startswith("Cảnh báo")]
        assert "Mã PIN kỹ thuật vẫn là mã mặc định (246810)" in warnings[0]  # whole, translated
        assert names.index("Cấu hình") < names.index("Phiên bản")  # problems come first
        facts = dict(technician.facts)
        assert facts["Quầy"] == "1" and facts["Công chức đăng nhập"] == "không có"
        assert "counter-01" in facts["Thiết bị"]
        tap(technician.ids.refresh)  # Kiểm tra lại: the checks run again
        assert dict(technician.facts)["Kiểm tra"] == "đang kiểm tra…"
        assert pump(lambda: "Cấu hình" in dict(technician.facts))
        assert pump(lambda: app.scanner is not None and app.scanner.state == "connected")
        before = app.store.outbox.summary()
        scanner.scan(b"]Q1" + payload)  # as an imager with its AIM ID on sends it
        assert pump(lambda: bool(technician.scan))
        assert technician.scan == (
            "Thẻ căn cước ••••••••2345 (đọc được); phần bao quanh: AIM ]Q1, CRLF"
        )
        assert "2345 (đọc được)" in technician.ids.scan.text
        assert app.store.outbox.summary() == before  # nothing of the card is kept
        tap(technician.ids.close)
        assert pump(lambda: app.root.current == "counter_signin")

        # Signed in, the desk's status line is the way in while no citizen is served; the
        # officer is named by id only.
        app.sign_in("officer-an", PINS["officer-an"])
        assert pump(lambda: app.root.current == "counter_desk")
        line = app.root.get_screen("counter_desk").ids.status_line
        line.hold_seconds = 0.3
        assert hold(line, lambda: app.root.current == "technician_login")
        type_pin(app)
        assert pump(lambda: dict(technician.facts).get("Công chức đăng nhập") == "officer-an")
        assert app.officer_name not in technician.ids.facts.text
        tap(technician.ids.close)
        assert pump(lambda: app.root.current == "counter_desk")

        app.take_typed_ticket("1001")  # a citizen at the counter: the way in is closed
        assert pump(lambda: app.session is not None)
        # Held three times as long as the gesture takes: nothing opens.
        assert not hold(line, lambda: app.root.current != "counter_desk", timeout=0.9)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert id_number not in logged and name not in logged


def test_holding_the_lobbys_status_line_opens_the_pin_then_the_technician_screen(tmp_path):
    with running_lobby(tmp_path) as (app, _printer):
        status = app.root.get_screen("welcome").ids.status_line
        status.hold_seconds = 0.3  # 3 s on the device; the gesture is the same
        tap(status)
        frames(3)
        assert app.root.current == "welcome"  # a tap is not the long press
        assert hold(status, lambda: app.root.current == "technician_login")
        type_pin(app)
        technician = app.root.get_screen("technician")
        assert pump(lambda: "Phiên bản" in dict(technician.facts))
        assert "lobby-01" in dict(technician.facts)["Thiết bị"]
        tap(technician.ids.close)
        assert pump(lambda: app.root.current == "welcome")


def test_holding_the_hall_displays_status_line_opens_the_pin_and_the_speaker_test_is_heard(
    tmp_path,
):
    config = display_config(tmp_path)
    with running_display(config, size=(1280, 720)) as app:
        status = app.board_screen.ids.status_line
        status.hold_seconds = 0.3
        tap(status)
        frames(3)
        assert app.root.current == "display_board"
        assert hold(status, lambda: app.root.current == "technician_login")
        type_pin(app)
        technician = app.root.get_screen("technician")
        assert pump(lambda: "Phiên bản" in dict(technician.facts))
        assert "display-01" in dict(technician.facts)["Thiết bị"]
        assert technician.ids.speaker_test.text == "Thử loa"
        tap(technician.ids.speaker_test)
        assert technician.message == "Đã đưa câu thử loa vào hàng đợi"
        assert pump(lambda: bool(read_journal(config.speech.virtual_dir)), timeout=20)
        (heard,) = read_journal(config.speech.virtual_dir)
        assert heard["key"].startswith("test:") and heard["text"] == "Thử loa một hai ba bốn năm"
        tap(technician.ids.close)
        assert pump(lambda: app.root.current == "display_board")


def test_the_logs_exported_after_a_card_at_the_lobby_hold_nothing_personal(
    tmp_path, scanner, card, kiosk_logging
):
    payload, id_number, name = card
    with running_lobby(tmp_path, extra_config=scanner_config(scanner)) as (app, printer):
        assert pump(lambda: app.scanner is not None and app.scanner.state == "connected")
        to_scan(app)
        scanner.scan(payload)
        assert pump(lambda: app.root.current == "id_confirm")
        tap(app.root.get_screen("id_confirm").ids.correct)
        assert pump(lambda: app.root.current == "ticket")
        tap(app.root.get_screen("ticket").ids.done)
        assert pump(lambda: app.root.current == "welcome")
        app.open_technician_login()
        type_pin(app)
        technician = app.root.get_screen("technician")
        scanner.scan(payload)  # the technician tries the reader with the same card
        assert pump(lambda: technician.scan.startswith("Thẻ căn cước ••••••••2345 (đọc được)"))

        printer.paper_out = True  # the facts follow the device while the screen is shown
        assert pump(lambda: "hết giấy" in dict(technician.facts)["Máy in"])
        name, value = technician.facts[0]  # a fault, first: what the technician came for
        assert name == "Máy in" and value.startswith("Lỗi: ") and "hết giấy" in value
        printer.paper_out = False
        assert pump(lambda: technician.facts[0][0] != "Máy in")  # and gone once fixed
        app.stick_roots = (tmp_path / "media",)
        tap(technician.ids.export_logs)
        assert pump(lambda: "USB" in technician.message and "Đang" not in technician.message)
        assert technician.message == "Không tìm thấy USB. Hãy cắm USB vào rồi thử lại."
        assert technician.message_failed  # amber, not the green of an export that went well
        with mounted_stick(tmp_path / "media") as stick:
            tap(technician.ids.export_logs)
            assert pump(lambda: technician.message.startswith("Đã chép"))
            (folder,) = stick.iterdir()
            assert technician.message == f"Đã chép 2 tệp vào {folder}"
            assert not technician.message_failed
            exported = {path.name: path.read_text("utf-8") for path in folder.iterdir()}
    assert set(exported) == {"kiosk.log", "summary.json"}
    assert "ID card QR read" in exported["kiosk.log"]  # the visit was logged, and how
    for text in exported.values():
        assert id_number not in text and name not in text
        assert id_number[-8:] not in text
    summary = json.loads(exported["summary.json"])
    assert summary["health"]["device_id"] == "lobby-01"
    assert summary["health"]["outbox"]["pending"] >= 2  # the ticket's events, and the card's
