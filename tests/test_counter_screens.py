"""The counter terminal as an officer and a citizen use it: real window, real touches, a real
central server, a lobby that issued the tickets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from common.office_clock import default_rule
from tests.support.central import central_server
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Lobby, office_device_config
from tests.support.device import OFFICE, enrol
from tests.support.ui import frames, pump, running_counter, screenshot, tap


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


def test_without_the_central_server_the_officer_types_the_number(tmp_path):
    config = counter_config(tmp_path)  # never enrolled: call-next cannot reach a server
    with running_counter(config) as app:
        sign_in(app)
        tap(app.desk.button("call_next"))
        assert pump(lambda: "nhập số" in app.desk.message)
        tap(app.desk.button("enter_number"))
        assert pump(lambda: app.root.current == "counter_entry")
        entry = app.root.get_screen("counter_entry")
        keys = {b.key: b for b in entry.ids.keypad.children}
        for digit in "1005":
            tap(keys[digit])
        tap(keys["ok"])
        assert pump(lambda: app.root.current == "counter_desk")
        assert app.desk.state == "called" and app.desk.label == "1005"


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


def test_a_physical_keypad_rates_and_a_scanned_badge_and_ticket_qr_work(office, tmp_path):
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
            scanner.scan(badge.encode())
            assert pump(lambda: app.root.current == "counter_desk")
            assert app.officer_name == "Cán bộ Binh"
            with Store(tmp_path / "lobby" / "data" / "kiosk.db") as lobby_store:
                day = default_rule().day_of(office_morning())
                qr = lobby_store.tickets.of_day(day)[0].qr_payload
            scanner.scan(qr.encode())
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
