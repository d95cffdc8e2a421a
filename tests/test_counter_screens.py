"""The counter terminal as an officer and a citizen use it: real window, real touches, a real
central server (stopped and started again where it matters), a lobby that issued the tickets;
on a 7-inch panel (800×480) where its size matters."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from kivy.core.window import Window
from kivy.metrics import mm
from PIL import ImageFont

import kiosk.sync
from common.office_clock import default_rule
from kiosk.paths import FONT_BOLD
from kiosk.sync import OFFLINE_RECHECK
from screens.counter_desk import HIGHLIGHT_SECONDS
from tests.support.central import central_server
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Lobby, counter_office, office_device_config
from tests.support.device import OFFICE, enrol
from tests.support.layout_audit import (
    audit,
    background_behind,
    contrast,
    text_box,
    text_colour,
    window_box,
)
from tests.support.layout_walk import panel
from tests.support.ui import frames, pump, running_counter, screenshot, share_of_colour, tap


def counter_config(tmp_path: Path, extra: str = ""):
    return office_device_config(
        tmp_path / "counter",
        device_id="counter-01",
        role="counter",
        kiosk=f"[counter]\nnumber = 1\n{extra}",
    )


@pytest.fixture
def office(tmp_path):
    """A central server, a lobby that issued 1001 and 1002 (Hộ tịch), and counter 1's config."""
    with central_server(tmp_path) as central:
        clock = Clock(office_morning())
        lobby = Lobby(tmp_path / "lobby", clock)
        lobby.enrol(central)
        lobby.issue("ho-tich")
        clock.now += timedelta(seconds=20)
        lobby.issue("ho-tich")
        lobby.sync()
        config = counter_config(tmp_path)
        enrol(config, central, counter=1)
        try:
            yield config, central
        finally:
            lobby.close()


def sign_in(app, officer="officer-an"):
    screen = app.root.get_screen("counter_signin")
    button = next(b for b in screen.ids.officers.children if b.officer_id == officer)
    tap(button)
    keys = {b.key: b for b in screen.ids.keypad.children}
    for digit in PINS[officer]:
        tap(keys[digit])
    tap(keys["ok"])
    assert pump(lambda: app.root.current == "counter_desk")


def call_and_serve(app):
    desk = app.desk
    tap(desk.button("call_next"))
    assert pump(lambda: desk.state == "called")
    assert desk.ids.call_text.text == "Mời công dân có số 1001 đến quầy số 1"
    tap(desk.button("start_serving"))
    assert pump(lambda: desk.state == "serving")


def close_with_first_outcome(app):
    tap(app.desk.button("finish"))
    assert pump(lambda: app.root.current == "counter_close")
    close = app.root.get_screen("counter_close")
    frames(2)
    outcomes = list(reversed(close.ids.outcomes.children))
    tap(outcomes[0])
    tap(next(w for w in close.level_toggles() if w.level == 1))
    assert close.complete
    tap(close.ids.confirm)
    assert pump(lambda: app.root.current == "counter_rating")


def faces(app):
    return list(reversed(app.root.get_screen("counter_rating").ids.faces.children))


def test_a_whole_visit_sign_in_call_serve_close_rate(office, tmp_path):
    config, _central = office
    with running_counter(config) as app:
        assert app.root.current == "counter_signin"
        screenshot(tmp_path / "signin.png")
        sign_in(app)
        assert app.desk.ids.counter_title.text == "QUẦY SỐ 1"
        call_and_serve(app)
        screenshot(tmp_path / "desk-serving.png")
        close_with_first_outcome(app)
        rating = app.root.get_screen("counter_rating")
        assert "thái độ công chức" in rating.ids.question.text
        assert [f.words for f in faces(app)] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
        screenshot(tmp_path / "rating.png")
        tap(faces(app)[0])  # at once: faster than any citizen reads the question
        assert pump(lambda: app.root.current == "counter_thanks")
        assert pump(lambda: app.store.sessions.latest(1).citizen_level == 1)
        assert "instant_press" in app.store.sessions.latest(1).rating_flags
        app.root.get_screen("counter_thanks").timeout = 0.3
        app.root.get_screen("counter_thanks").restart_idle_timer()
        assert pump(lambda: app.root.current == "counter_desk")
        assert app.desk.state == "idle"
        # Both halves reach the central server: the report counts one "Rất hài lòng" ballot.
        assert pump(lambda: app.store.outbox.summary()["pending"] == 0, timeout=20)


def test_a_negative_rating_asks_for_reasons(office):
    config, _central = office
    with running_counter(config) as app:
        sign_in(app)
        call_and_serve(app)
        close_with_first_outcome(app)
        tap(faces(app)[2])
        assert pump(lambda: app.root.current == "counter_reasons")
        reasons = list(reversed(app.root.get_screen("counter_reasons").ids.reasons.children))
        assert reasons[0].text == "Thái độ chưa niềm nở"
        tap(reasons[2])
        tap(app.root.get_screen("counter_reasons").ids.send)
        assert pump(lambda: app.root.current == "counter_thanks")
        assert pump(lambda: app.counter.rating_window() is not None)


def test_wrong_pins_lock_the_sign_in(office):
    config, _central = office
    with running_counter(config) as app:
        screen = app.root.get_screen("counter_signin")
        tap(next(b for b in screen.ids.officers.children if b.officer_id == "officer-an"))
        keys = {b.key: b for b in screen.ids.keypad.children}
        for _attempt in range(5):
            for digit in "9999":
                tap(keys[digit])
            tap(keys["ok"])
            assert pump(lambda: not screen.checking)
        assert "khóa" in screen.message


def test_no_rating_in_time_is_recorded_not_rated_and_the_desk_returns(office, tmp_path):
    _config, central = office
    config = counter_config(tmp_path / "quick", "rating_seconds = 5\n")
    enrol(config, central, counter=1)
    with running_counter(config) as app:
        sign_in(app)
        call_and_serve(app)
        close_with_first_outcome(app)
        assert pump(lambda: app.root.get_screen("counter_rating").seconds_left > 0)
        assert pump(lambda: app.root.current == "counter_desk", timeout=15)
        assert pump(lambda: app.store.sessions.latest(1).rating == "not_rated")
        assert app.store.sessions.latest(1).citizen_level is None


def test_a_keypad_rates_and_badge_and_ticket_qrs_scanned_with_an_aim_id_work(office, tmp_path):
    from devices.virtual_keypad import VirtualKeypad
    from devices.virtual_scanner import VirtualScanner
    from kiosk.badges import badge_key, export_badge_key, import_badge_key, sign_badge
    from kiosk.store import Store
    from kiosk.ticket_keys import TicketKeys

    _config, central = office
    keypad, scanner = VirtualKeypad(), VirtualScanner()
    try:
        config = counter_config(
            tmp_path / "devices",
            f'keypad_url = "{keypad.device_path}"\n\n'
            f'[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n',
        )
        enrol(config, central, counter=1)
        data_dir = config.device.data_dir
        export_badge_key(tmp_path / "office-keys", tmp_path / "badge.key")
        import_badge_key(data_dir, tmp_path / "badge.key")
        badge = sign_badge(office=OFFICE, officer_id="officer-binh", key=badge_key(data_dir))
        lobby_key = tmp_path / "lobby" / "data" / "device.key"
        TicketKeys(data_dir).import_key(lobby_key, "lobby-01")
        with running_counter(config) as app:
            # As a Honeywell with its AIM ID on sends them (devices.scanner_envelope).
            scanner.scan(b"]Q1" + badge.encode(), b"\r")
            assert pump(lambda: app.root.current == "counter_desk")
            assert app.officer_name == "Cán bộ Binh"
            with Store(tmp_path / "lobby" / "data" / "kiosk.db") as lobby_store:
                day = default_rule().day_of(office_morning())
                qr = lobby_store.tickets.of_day(day)[0].qr_payload
            scanner.scan(b"]Q1" + qr.encode(), b"\r")
            assert pump(lambda: app.desk.state == "called")
            assert app.desk.label == "1001"
            tap(app.desk.button("start_serving"))
            assert pump(lambda: app.desk.state == "serving")
            close_with_first_outcome(app)
            keypad.press(2)
            assert pump(lambda: app.store.sessions.latest(1).citizen_level == 2)
    finally:
        keypad.close()
        scanner.close()


def test_the_counter_that_calls_the_ticket_sees_the_lobby_prefill_and_no_one_else(tmp_path):
    import requests

    from kiosk import events
    from tests.support.central import enroll_device

    card = {
        "id": "001099012345",
        "old_id": "",
        "name": "Nguyễn Văn Mẫu",
        "birth": "1999-03-15",
        "sex": "M",
        "address": "Số 12 ngõ 34 phố Thử Nghiệm, Hà Nội",
        "issued": "2021-04-20",
        "warnings": [],
    }
    with central_server(tmp_path) as central:
        lobby = Lobby(tmp_path / "lobby", Clock(office_morning()))
        lobby.enrol(central)
        ticket = lobby.issue("ho-tich")
        lobby.personal.add_event(
            events.new_event(
                events.CITIZEN_IDENTIFIED,
                {
                    "day": ticket.day.isoformat(),
                    "label": ticket.label,
                    "ticket_id": ticket.id,
                    "identity": card,
                },
                office=OFFICE,
                device_id="lobby-01",
                occurred_at=ticket.issued_at,
            )
        )
        lobby.sync()
        config = counter_config(tmp_path)
        enrol(config, central, counter=1)
        other = enroll_device(central[1], OFFICE, "counter", "counter-02", counter=2)
        url = f"{central[0]}/api/v1/offices/{OFFICE}/counters/2/identity"
        query = {"day": ticket.day.isoformat(), "label": ticket.label}
        with running_counter(config) as app:
            sign_in(app)
            tap(app.desk.button("call_next"))
            assert pump(lambda: app.desk.state == "called")
            assert pump(lambda: app.desk.ids.prefill.text != "")
            assert app.desk.ids.prefill.text == (
                "Thẻ căn cước: ••••••••2345 · Nguyễn Văn Mẫu · sinh 15/03/1999"
            )
            # Counter 2 did not call this ticket: it gets nothing.
            refused = requests.get(
                url, params=query, headers={"Authorization": f"Bearer {other}"}, timeout=5
            )
            assert refused.status_code == 404
            tap(app.desk.button("start_serving"))
            assert pump(lambda: app.desk.state == "serving")
            close_with_first_outcome(app)
            tap(faces(app)[0])
            assert pump(lambda: app.store.outbox.summary()["pending"] == 0, timeout=20)
            assert app.desk.prefill == ""
            data_dir = config.device.data_dir
        lobby.close()
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert "Nguyễn Văn Mẫu".encode() not in path.read_bytes(), path
            assert b"001099012345" not in path.read_bytes(), path


# ----------------------------------------------------------------- the officer's screens on a
# 7-inch panel, and what each action says


def boxes_apart(first, second) -> bool:
    """Whether two widgets' boxes in the window share no area."""
    a, b = window_box(first), window_box(second)
    return min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1])


def inside_window(widget) -> bool:
    x0, y0, x1, y1 = window_box(widget)
    return x0 >= -1 and y0 >= -1 and x1 <= Window.width + 1 and y1 <= Window.height + 1


def type_number(screen, digits: str) -> None:
    keys = {b.key: b for b in screen.ids.keypad.children}
    for key in digits:
        tap(keys[key])


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_without_the_server_the_number_is_typed_on_a_keypad_nothing_covers(tmp_path, size):
    config = counter_config(tmp_path)  # never enrolled: call-next cannot reach a server
    with panel(size), running_counter(config, size=size) as app:
        sign_in(app)
        tap(app.desk.button("call_next"))
        assert pump(lambda: "nhập số" in app.desk.message)
        tap(app.desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        entry = app.root.get_screen("counter_entry")
        frames(2)
        cancel = entry.ids.cancel
        for key in entry.ids.keypad.children:
            assert inside_window(key) and boxes_apart(key, cancel), key.text
        for digit in "7890":
            type_number(entry, digit)
            assert entry.entry.endswith(digit)
        assert entry.entry == "7890"
        type_number(entry, ["del"] * 4)
        type_number(entry, "1005")
        type_number(entry, ["ok"])
        assert pump(lambda: app.root.current == "counter_desk")
        assert app.desk.state == "called" and app.desk.label == "1005"


def test_at_800x480_the_sign_in_keypad_is_whole_and_clear_of_the_status_line(tmp_path):
    config = counter_config(tmp_path)
    with panel((800, 480)), running_counter(config, size=(800, 480)) as app:
        screen = app.root.get_screen("counter_signin")
        frames(2)
        status = screen.ids.status
        assert status.text == app.status_text != ""
        for key in screen.ids.keypad.children:
            assert inside_window(key) and boxes_apart(key, status), key.text
            assert min(key.size) >= mm(15) - 1.5, key.text
        sign_in(app)  # the bottom row's OK included


def test_no_show_asks_first_away_from_the_buttons_that_were_there_and_says_what_it_did(office):
    config, _central = office
    with running_counter(config) as app:
        sign_in(app)
        desk = app.desk
        frames(2)
        idle_buttons = list(desk.ids.officer_bar.children)
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called")
        frames(2)
        skip = desk.button("skip")
        assert skip.text == "Bỏ qua"
        assert all(boxes_apart(skip, button) for button in idle_buttons)
        called_buttons = [skip, *desk.ids.officer_bar.children]

        tap(skip)
        tap(skip)  # a double tap asks once, and confirms nothing
        assert pump(lambda: desk.confirming)
        frames(2)
        assert desk.ids.field.text == "Bỏ qua số 1001? Công dân không có mặt"
        confirm = desk.button("confirm_skip")
        assert confirm.text == "Xác nhận"
        assert all(boxes_apart(confirm, button) for button in called_buttons)
        (back,) = desk.ids.officer_bar.children
        assert back.text == "Quay lại"
        assert app.store.sessions.latest(1).state == "called"

        tap(back)
        assert pump(lambda: not desk.confirming)
        assert desk.state == "called" and app.store.sessions.latest(1).state == "called"
        tap(desk.button("skip"))
        assert pump(lambda: desk.confirming)
        tap(desk.button("confirm_skip"))
        assert pump(lambda: desk.state == "idle")
        assert desk.message == "Đã bỏ qua số 1001: công dân không có mặt."
        latest = app.store.sessions.latest(1)
        assert (latest.label, latest.state, latest.outcome) == ("1001", "closed", "vang-mat")


def test_a_refused_number_stays_beside_the_reason_and_the_next_digit_starts_anew(tmp_path):
    config = counter_config(tmp_path)
    with running_counter(config) as app:
        sign_in(app)
        tap(app.desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        entry = app.root.get_screen("counter_entry")
        type_number(entry, "9999")
        type_number(entry, ["ok"])
        assert pump(lambda: bool(entry.message) and not entry.checking)
        assert entry.ids.typed.text == "9999"  # the refused number, apart from the reason
        assert entry.ids.message.text == (
            "Không nhận được số này: số 9999 không thuộc dãy số của lĩnh vực nào"
        )
        type_number(entry, "1")
        assert (entry.entry, entry.message, entry.ids.message.text) == ("1", "", "")
        type_number(entry, "0012345")  # up to 8 digits, from the new number's first
        assert entry.entry == "10012345"
        type_number(entry, ["del"] * 4 + ["ok"])
        assert pump(lambda: app.root.current == "counter_desk")
        assert app.desk.label == "1001"


def test_recall_says_when_and_highlights_the_number_and_old_messages_go(office, tmp_path):
    config, _central = office
    with running_counter(config) as app:
        sign_in(app)
        desk = app.desk
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called")
        tap(desk.button("recall"))
        assert pump(lambda: desk.message.startswith("Đã gọi lại số 1001 lúc "))
        assert re.fullmatch(r"Đã gọi lại số 1001 lúc \d\d:\d\d", desk.message)
        assert app.store.sessions.latest(1).recalls == 1
        assert desk.highlight
        x0, y0, x1, y1 = text_box(desk.ids.call_text)
        height = Window.height
        box = int(x0), int(height - y1), int(x1), int(height - y0)
        highlight = (255, 237, 158)
        shot = screenshot(tmp_path / "recalled.png")
        assert share_of_colour(shot, box, highlight) > 0.5  # behind the number
        assert pump(lambda: not desk.highlight, timeout=HIGHLIGHT_SECONDS + 3)
        assert share_of_colour(screenshot(tmp_path / "later.png"), box, highlight) == 0
        # The next action clears the line; "no one is waiting" does not stay under a call.
        tap(desk.button("start_serving"))
        assert pump(lambda: desk.state == "serving")
        assert desk.message == ""


def test_no_one_waiting_does_not_stay_under_the_next_call(tmp_path):
    with counter_office(tmp_path) as office, running_counter(office.config) as app:
        sign_in(app)
        desk = app.desk
        tap(desk.button("call_next"))
        assert pump(lambda: desk.message == "Không có công dân nào đang chờ ở quầy này.")
        office.issue()
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called")
        assert desk.message == "" and desk.ids.message.text == ""
        # A typed number taken while the server is down clears what the desk said.
        tap(desk.button("skip"))
        tap(desk.button("confirm_skip"))
        assert pump(lambda: desk.state == "idle" and "bỏ qua" in desk.message)
        office.stop()
        tap(desk.button("call_next"))
        assert pump(lambda: "nhập số" in desk.message)
        tap(desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        entry = app.root.get_screen("counter_entry")
        type_number(entry, "1005")
        type_number(entry, ["ok"])
        assert pump(lambda: app.root.current == "counter_desk" and desk.state == "called")
        assert desk.message == ""


def test_the_counter_notices_the_server_gone_and_back_within_seconds(tmp_path, monkeypatch):
    # Every backoff of the sync worker a minute long, as after a long outage.
    monkeypatch.setattr(kiosk.sync, "backoff_delay", lambda *_args: 60.0)
    with counter_office(tmp_path) as office, running_counter(office.config) as app:
        sign_in(app)
        desk = app.desk
        assert pump(lambda: app.status_text == "Máy chủ trung tâm: đã kết nối")
        office.stop()
        tap(desk.button("call_next"))
        assert pump(lambda: "nhập số" in desk.message)
        # The failed call is news of the server: the status line says so at once.
        assert pump(lambda: app.status_text.startswith("Mất kết nối máy chủ từ "), timeout=3)
        pump(timeout=1)
        office.start()
        back = time.monotonic()
        assert pump(lambda: app.status_text == "Máy chủ trung tâm: đã kết nối", timeout=20)
        assert time.monotonic() - back < OFFLINE_RECHECK + 3  # not after the minute
        assert desk.message == ""  # "cannot be reached" is no longer true: it goes
        office.issue()
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called" and desk.label == "1001")


def test_an_action_that_reaches_the_server_brings_the_status_line_back_at_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(kiosk.sync, "backoff_delay", lambda *_args: 60.0)
    monkeypatch.setattr(kiosk.sync, "OFFLINE_RECHECK", 600.0)  # only the action can tell
    with counter_office(tmp_path) as office, running_counter(office.config) as app:
        sign_in(app)
        desk = app.desk
        office.stop()
        tap(desk.button("call_next"))
        assert pump(lambda: app.status_text.startswith("Mất kết nối máy chủ từ "), timeout=3)
        office.start()
        office.issue()
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called")
        assert pump(lambda: app.status_text == "Máy chủ trung tâm: đã kết nối", timeout=3)


def test_the_close_form_at_800x480_fits_says_what_is_missing_and_marks_choices(office, tmp_path):
    config, _central = office
    with panel((800, 480)) as px_per_mm, running_counter(config, size=(800, 480)) as app:
        sign_in(app)
        call_and_serve(app)
        tap(app.desk.button("finish"))
        assert pump(lambda: app.root.current == "counter_close")
        close = app.root.get_screen("counter_close")
        frames(3)
        outcomes = list(reversed(close.ids.outcomes.children))
        for toggle in outcomes:
            assert toggle.texture_size[1] <= toggle.height - mm(4), toggle.text  # two lines
        assert close.ids.missing.text == (
            "Chọn kết quả giải quyết  ·  Chọn mức đánh giá: Đánh giá chung về phiên làm việc"
        )
        confirm = close.ids.confirm
        assert confirm.disabled
        shot = screenshot(tmp_path / "close.png")
        problems = audit(Window, screen="close", state="empty", px_per_mm=px_per_mm, frame=shot)
        assert problems == []  # the disabled confirm's words included: readable
        behind = background_behind(confirm, shot)
        assert contrast(text_colour(confirm, behind), behind) >= 4.5

        mark = outcomes[0].children[0]
        assert (mark.text, mark.opacity) == ("√", 0)
        assert glyph_in_font(mark.text, FONT_BOLD)  # the bundled font draws it, not a box
        tap(outcomes[0])
        assert pump(lambda: mark.opacity == 1)
        assert close.ids.missing.text == "Chọn mức đánh giá: Đánh giá chung về phiên làm việc"
        tap(next(t for t in close.level_toggles() if t.level == 1))
        assert pump(lambda: close.complete and not confirm.disabled)
        assert close.ids.missing.text == ""
        shot = screenshot(tmp_path / "close-chosen.png")
        chosen = audit(Window, screen="close", state="all", px_per_mm=px_per_mm, frame=shot)
        assert chosen == []


def glyph_in_font(character: str, font_file) -> bool:
    """Whether the font has a glyph of its own for `character` (not its "missing" box)."""
    font = ImageFont.truetype(str(font_file), 48, layout_engine=ImageFont.Layout.BASIC)
    missing = bytes(font.getmask("\U0010fffd"))
    return bytes(font.getmask(character)) != missing


def test_a_priority_ticket_is_called_first_and_shown_priority_at_the_desk(tmp_path):
    with counter_office(tmp_path) as office, running_counter(office.config) as app:
        office.issue()
        priority = office.issue(priority=True)
        assert (priority.label, priority.waiting_ahead) == ("1002", 0)
        sign_in(app)
        desk = app.desk
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called")
        assert desk.label == "1002" and desk.ids.priority.text == "Ưu tiên"
        tap(desk.button("skip"))
        tap(desk.button("confirm_skip"))
        assert pump(lambda: desk.state == "idle")
        tap(desk.button("call_next"))
        assert pump(lambda: desk.state == "called" and desk.label == "1001")
        assert desk.ids.priority.text == ""


def test_a_priority_number_typed_in_is_stored_and_shown_priority(tmp_path):
    config = counter_config(tmp_path)  # no server: only the officer knows
    with running_counter(config) as app:
        sign_in(app)
        tap(app.desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        entry = app.root.get_screen("counter_entry")
        toggle = entry.ids.priority
        assert toggle.text == "Ưu tiên" and toggle.state == "normal"
        type_number(entry, "1007")
        tap(toggle)
        assert toggle.state == "down"
        type_number(entry, ["ok"])
        assert pump(lambda: app.root.current == "counter_desk" and app.desk.state == "called")
        assert app.desk.ids.priority.text == "Ưu tiên"
        assert app.store.sessions.latest(1).priority
        # The next visit to the screen starts unmarked.
        tap(app.desk.button("skip"))
        tap(app.desk.button("confirm_skip"))
        assert pump(lambda: app.desk.state == "idle")
        tap(app.desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        assert toggle.state == "normal"


def test_rating_words_and_disabled_keys_are_readable(office, tmp_path):
    config, _central = office
    with panel((800, 480)) as px_per_mm, running_counter(config, size=(800, 480)) as app:
        frames(3)
        signin = app.root.get_screen("counter_signin")
        assert all(key.disabled for key in signin.ids.keypad.children)  # no name chosen yet
        shot = screenshot(tmp_path / "signin.png")
        problems = audit(Window, screen="signin", state="", px_per_mm=px_per_mm, frame=shot)
        assert [p for p in problems if "contrast" in p.what] == []
        for key in signin.ids.keypad.children:
            behind = background_behind(key, shot)
            assert contrast(text_colour(key, behind), behind) >= 4.5, key.text
        sign_in(app)
        call_and_serve(app)
        close_with_first_outcome(app)
        frames(3)
        shot = screenshot(tmp_path / "rating.png")
        for face in faces(app):
            (words,) = face.children
            behind = background_behind(words, shot)
            assert contrast(text_colour(words, behind), behind) >= 4.5, face.words
