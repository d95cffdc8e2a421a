"""The counter's sessions against a real central server: call-next → serve → close → the
citizen rates, and each way that can go (no rating in time, a negative rating with reasons, a
second press, an instant press, a short session, a burst of top ratings, a no-show).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from common.office_clock import default_rule
from kiosk.central_client import CentralClient
from kiosk.counter import (
    CentralUnreachable,
    CounterService,
    NoRatingWindow,
    NoSession,
    RatingPending,
    SessionOpen,
)
from kiosk.i18n import Translator
from kiosk.officers import NotSignedIn
from kiosk.paths import LOCALE_DIR
from kiosk.ratings import InvalidRating
from kiosk.sessions import InvalidOfficerHalf
from kiosk.ticket_entry import TicketRefused
from tests.support.central import CentralServer, central_server
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Counter, Lobby, report
from tests.support.events import events_of

CALL_KEYS = {"day", "label", "counter", "officer_id", "session_id", "ticket_id", "field_id"}
CLOSED_KEYS = {
    "session_id",
    "day",
    "label",
    "field_id",
    "counter",
    "officer_id",
    "called_at",
    "closed_at",
    "outcome",
    "same_day_result",
    "officer_rating",
    "flags",
    "dossier_code",
}
RATING_KEYS = {
    "session_id",
    "day",
    "counter",
    "officer_id",
    "field_id",
    "rated",
    "scale",
    "level",
    "reasons",
    "rated_at",
    "flags",
}
OVERALL = "phien-lam-viec"  # the one officer criterion shipped


class Office:
    """A central server, a lobby and counter 2 (serving ho-tich and cu-tru), one clock."""

    def __init__(
        self,
        tmp_path: Path,
        central: tuple[str, str],
        counter_kiosk: str = "",
        rating: str | None = None,
    ) -> None:
        self.base_url, self.database_url = central
        self.clock = Clock(office_morning())
        self.lobby = Lobby(tmp_path / "lobby", self.clock)
        self.lobby.enrol(central)
        self.counter = Counter(
            tmp_path / "counter",
            self.clock,
            number=2,
            fields=("ho-tich", "cu-tru"),
            kiosk=counter_kiosk,
            rating=rating,
        )
        self.counter.enrol(central, counter=2)
        self.service = self.counter.service

    def issue(self, count: int, field_id: str = "ho-tich") -> list[str]:
        labels = []
        for _ in range(count):
            labels.append(self.lobby.issue(field_id).label)
            self.later(seconds=20)
        self.lobby.sync()
        return labels

    def sign_in(self, officer: str = "officer-an") -> None:
        self.counter.officers.sign_in(officer, PINS[officer])

    def later(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)

    def visit(self, level: int | None, *, minutes: float = 4, reasons: tuple[str, ...] = ()):
        """Call, serve for `minutes`, close, and rate `level` 3 s after the screen appears
        (None: let the time run out)."""
        session = self.service.call_next()
        assert session is not None
        self.service.start_serving()
        self.later(minutes=minutes)
        self.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
        self.service.open_rating()
        if level is None:
            self.later(seconds=31)
            assert self.service.rating_timed_out()
        else:
            self.later(seconds=3)
            self.service.record_citizen_rating(level, list(reasons))
            self.service.rating_timed_out()
        self.later(seconds=30)
        return session

    def close(self) -> None:
        self.counter.close()
        self.lobby.close()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with central_server(tmp_path) as central:
        office = Office(tmp_path, central)
        try:
            yield office
        finally:
            office.close()


def test_a_whole_visit_writes_the_contracts_events_and_reaches_the_report(office: Office):
    first, _second = office.issue(2)
    office.sign_in()
    called = office.service.call_next()
    assert called is not None
    assert (called.label, called.field_id, called.counter) == (first, "ho-tich", 2)
    assert (called.state, called.entry, called.officer_id) == ("called", "call_next", "officer-an")
    assert office.service.current() == called
    office.later(seconds=20)
    assert office.service.recall().recalls == 1
    office.later(seconds=40)
    assert office.service.start_serving().state == "serving"
    office.later(minutes=5)
    closed = office.service.close_session("can-bo-sung", True, {OVERALL: 2})
    assert closed.state == "closed"
    assert office.service.current() is None
    window = office.service.open_rating()
    assert window.session_id == called.id
    assert window.deadline - window.opened_at == timedelta(seconds=30)
    assert [window.scale.label(n, "vi") for n in (1, 2, 3)] == [
        "Rất hài lòng",
        "Hài lòng",
        "Không hài lòng",
    ]
    assert window.question("vi").startswith("Ông/Bà đánh giá như thế nào về thái độ công chức")
    assert not hasattr(window, "outcome") and not hasattr(window, "officer_rating")
    office.later(seconds=4)
    recorded = office.service.record_citizen_rating(1, [])
    assert (recorded.counted, recorded.level, recorded.flags) == (True, 1, ())
    assert not office.service.rating_timed_out()

    outbox = events_of(office.counter.store)
    assert [e["type"] for e in outbox] == [
        "ticket.called",
        "ticket.recalled",
        "session.closed",
        "rating.citizen",
    ]
    call, recall, session, rating = (e["data"] for e in outbox)
    assert set(call) == set(recall) == CALL_KEYS
    assert call == recall
    assert call["session_id"] == called.id and call["ticket_id"] == called.ticket_id
    assert (call["counter"], call["officer_id"], call["field_id"]) == (2, "officer-an", "ho-tich")
    assert set(session) == CLOSED_KEYS
    assert session["outcome"] == "can-bo-sung" and session["same_day_result"] is True
    assert session["officer_rating"] == {"scale": 3, "level": 2}
    assert session["flags"] == []
    assert session["dossier_code"] is None  # optional, and none was given
    assert set(rating) == RATING_KEYS
    assert (rating["rated"], rating["scale"], rating["level"]) == (True, 3, 1)
    assert (rating["reasons"], rating["flags"]) == ([], [])
    assert rating["session_id"] == called.id == session["session_id"]
    assert all(e["device_id"] == "counter-02" and e["office"] == "00637" for e in outbox)

    record = office.counter.store.sessions.get(called.id)
    assert record.officer_rating == {"scale": 3, "level": 2, "criteria": {OVERALL: 2}}
    assert (record.citizen_level, record.rating) == (1, "rated")
    assert record.started_at is not None and record.rated_at is not None

    assert office.counter.sync() == {"accepted": 4, "duplicates": 0, "quarantined": 0}
    day = called.day.isoformat()
    body = report(office.base_url, office.counter.token(), first=day, last=day, by="officer")
    assert [(r["key"], r["ballots"], r["not_rated"]) for r in body["rows"]] == [
        ("officer-an", 1, 0)
    ]
    assert body["rows"][0]["satisfaction_rate"] == 100.0


def test_none_waiting_is_none_and_the_counter_only_calls_its_fields(office: Office):
    office.issue(1, "chung-thuc")
    office.sign_in()
    assert office.service.call_next() is None
    assert events_of(office.counter.store) == []
    office.issue(1, "cu-tru")
    called = office.service.call_next()
    assert called is not None and called.field_id == "cu-tru"


def test_the_next_call_waits_for_the_close_and_for_the_citizens_time(office: Office):
    office.issue(3)
    with pytest.raises(NotSignedIn):
        office.service.call_next()
    office.sign_in()
    first = office.service.call_next()
    with pytest.raises(SessionOpen) as still_open:
        office.service.call_next()
    assert still_open.value.session.label == first.label
    office.service.start_serving()
    office.later(minutes=3)
    office.service.close_session("tu-van", False, {OVERALL: 1})
    office.later(seconds=10)
    with pytest.raises(RatingPending) as pending:
        office.service.call_next()
    assert pending.value.seconds_left == 20
    # The rating screen never reported its end: once the time is up, the next call records
    # the citizen's half as not rated, and goes on.
    office.later(seconds=21)
    second = office.service.call_next()
    assert second is not None and second.label != first.label
    ratings = events_of(office.counter.store, "rating.citizen")
    assert [(r["data"]["session_id"], r["data"]["rated"]) for r in ratings] == [(first.id, False)]


def test_no_rating_in_time_is_not_rated_never_a_level(office: Office):
    office.issue(1)
    office.sign_in()
    session = office.service.call_next()
    office.service.start_serving()
    office.later(minutes=4)
    office.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
    window = office.service.open_rating()
    office.later(seconds=30)
    assert office.service.rating_timed_out()
    with pytest.raises(NoRatingWindow):
        office.service.record_citizen_rating(1, [])
    assert not office.service.rating_timed_out()
    [rating] = events_of(office.counter.store, "rating.citizen")
    assert rating["data"] == {
        "session_id": session.id,
        "day": session.day.isoformat(),
        "counter": 2,
        "officer_id": "officer-an",
        "field_id": "ho-tich",
        "rated": False,
        "scale": 3,
        "level": None,
        "reasons": [],
        "rated_at": None,
        "flags": [],
    }
    assert office.counter.store.sessions.get(window.session_id).rating == "not_rated"
    office.counter.sync()
    day = session.day.isoformat()
    body = report(office.base_url, office.counter.token(), first=day, last=day, by="counter")
    assert body["total"]["ballots"] == 0 and body["total"]["not_rated"] == 1
    assert body["total"]["satisfaction_rate"] is None


def test_a_negative_rating_carries_the_reasons_chosen(office: Office):
    office.issue(1)
    office.sign_in()
    office.service.call_next()
    office.service.start_serving()
    office.later(minutes=6)
    office.service.close_session("tu-choi", False, {OVERALL: 3})
    window = office.service.open_rating()
    assert window.is_negative(3) and not window.is_negative(2)
    assert [r.id for r in window.reasons][:3] == ["thai-do", "huong-dan", "cho-lau"]
    with pytest.raises(InvalidRating):
        office.service.record_citizen_rating(2, ["cho-lau"])  # reasons only when negative
    with pytest.raises(InvalidRating):
        office.service.record_citizen_rating(3, ["no-such-reason"])
    with pytest.raises(InvalidRating):
        office.service.record_citizen_rating(4, [])
    office.later(seconds=9)
    recorded = office.service.record_citizen_rating(3, ["cho-lau", "thai-do"])
    assert recorded.counted
    [rating] = events_of(office.counter.store, "rating.citizen")
    assert (rating["data"]["level"], rating["data"]["reasons"]) == (3, ["cho-lau", "thai-do"])
    assert office.counter.sync()["accepted"] == 3
    day = default_rule().day_of(office.clock.now).isoformat()
    body = report(office.base_url, office.counter.token(), first=day, last=day, by="field")
    assert body["rows"][0]["levels"][2] == {
        "level": 3,
        "label": "Không hài lòng",
        "count": 1,
        "percent": 100.0,
    }
    assert body["rows"][0]["satisfaction_rate"] == 0.0


def test_an_instant_press_and_a_second_press_are_kept_flagged_and_counted_once(office: Office):
    office.issue(1)
    office.sign_in()
    session = office.service.call_next()
    office.service.start_serving()
    office.later(minutes=2)
    office.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
    window = office.service.open_rating()
    first = office.service.record_citizen_rating(
        1, [], pressed_at=window.opened_at + timedelta(milliseconds=300)
    )
    assert (first.counted, first.flags) == (True, ("instant_press",))
    office.later(seconds=2)
    second = office.service.record_citizen_rating(3, ["thai-do"])
    assert (second.counted, second.flags) == (False, ("second_press",))
    office.service.rating_timed_out()

    ratings = [e["data"] for e in events_of(office.counter.store, "rating.citizen")]
    assert [(r["level"], r["flags"]) for r in ratings] == [
        (1, ["instant_press"]),
        (3, ["second_press"]),
    ]
    record = office.counter.store.sessions.get(session.id)
    assert (record.citizen_level, record.rating_flags) == (1, ["instant_press"])
    [extra] = office.counter.store.sessions.extra_presses(session.id)
    assert (extra.level, extra.reasons, extra.flags) == (3, ["thai-do"], ["second_press"])

    office.counter.sync()
    day = session.day.isoformat()
    body = report(office.base_url, office.counter.token(), first=day, last=day, by="officer")
    assert body["total"]["ballots"] == 1
    assert [level["count"] for level in body["total"]["levels"]] == [1, 0, 0]


def test_a_press_at_the_threshold_is_not_instant(office: Office):
    office.issue(1)
    office.sign_in()
    office.visit(None)  # a first session so this one is not the counter's first
    office.issue(1)
    office.service.call_next()
    office.later(minutes=3)
    office.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
    window = office.service.open_rating()
    recorded = office.service.record_citizen_rating(
        2, [], pressed_at=window.opened_at + timedelta(milliseconds=700)
    )
    assert recorded.flags == ()


def test_a_short_session_is_flagged_on_both_halves(office: Office):
    office.issue(1)
    office.sign_in()
    office.service.call_next()
    office.later(seconds=29)
    office.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
    office.service.open_rating()
    office.later(seconds=5)
    assert office.service.record_citizen_rating(1, []).flags == ("short_session",)
    [closed] = events_of(office.counter.store, "session.closed")
    assert closed["data"]["flags"] == ["short_session"]


def test_a_burst_of_top_ratings_is_flagged_from_the_nth_on(tmp_path: Path):
    with central_server(tmp_path) as central:
        office = Office(
            tmp_path, central, counter_kiosk="top_burst_count = 3\ntop_burst_minutes = 10\n"
        )
        try:
            office.issue(6)
            office.sign_in()
            # Sessions 4 min long: 3 top ratings within 10 minutes from the third on...
            for level in (1, 1, 1, 2, 1):
                office.visit(level, minutes=2)
            # ...and after a pause, the count starts again.
            office.later(minutes=15)
            office.visit(1, minutes=2)
            flags = [
                (e["data"]["level"], e["data"]["flags"])
                for e in events_of(office.counter.store, "rating.citizen")
            ]
            assert flags == [
                (1, []),
                (1, []),
                (1, ["top_burst"]),
                (2, []),
                (1, ["top_burst"]),
                (1, []),
            ]
        finally:
            office.close()


def test_five_levels_reach_the_report_with_their_labels(tmp_path: Path):
    with central_server(tmp_path) as central:
        office = Office(tmp_path, central, rating="[citizen]\nscale = 5\n")
        try:
            office.issue(6)
            office.sign_in()
            for level in (1, 2, 3, 4, 5, None):
                office.visit(level, reasons=("cho-lau",) if level in (4, 5) else ())
            office.issue(1)
            office.service.call_next()
            office.later(minutes=2)
            office.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
            window = office.service.open_rating()
            assert window.is_negative(4) and not window.is_negative(3)
            with pytest.raises(InvalidRating):
                office.service.record_citizen_rating(3, ["cho-lau"])  # "Bình thường"
            ratings = [e["data"] for e in events_of(office.counter.store, "rating.citizen")]
            assert {r["scale"] for r in ratings} == {5}
            office.counter.sync()
            day = default_rule().day_of(office.clock.now).isoformat()
            body = report(office.base_url, office.counter.token(), first=day, last=day, by="day")
            total = body["total"]
            assert [(level["label"], level["count"]) for level in total["levels"]] == [
                ("Rất hài lòng", 1),
                ("Hài lòng", 1),
                ("Bình thường", 1),
                ("Không hài lòng", 1),
                ("Rất không hài lòng", 1),
            ]
            assert (total["ballots"], total["not_rated"], total["satisfaction_rate"]) == (
                5,
                1,
                40.0,
            )
        finally:
            office.close()


def test_a_no_show_is_skipped_closed_and_never_rated(office: Office):
    office.issue(2)
    office.sign_in()
    session = office.service.call_next()
    office.later(seconds=30)
    office.service.recall()
    office.later(minutes=2)
    skipped = office.service.skip()
    assert skipped.state == "closed"
    with pytest.raises(NoRatingWindow):
        office.service.open_rating()
    assert office.service.call_next() is not None  # no rating to wait for
    types = [e["type"] for e in events_of(office.counter.store)]
    assert types == [
        "ticket.called",
        "ticket.recalled",
        "ticket.skipped",
        "session.closed",
        "ticket.called",
    ]
    skip, closed = (e["data"] for e in events_of(office.counter.store)[2:4])
    assert set(skip) == CALL_KEYS and skip["session_id"] == session.id
    assert closed["outcome"] == "vang-mat" and closed["officer_rating"] is None
    assert closed["flags"] == [] and closed["same_day_result"] is False
    assert office.counter.sync()["quarantined"] == 0


def test_the_officers_half_is_checked(office: Office):
    office.issue(1)
    office.sign_in()
    office.service.call_next()
    with pytest.raises(InvalidOfficerHalf):
        office.service.close_session("no-such-outcome", True, {OVERALL: 1})
    with pytest.raises(InvalidOfficerHalf):
        office.service.close_session("da-tiep-nhan", True, {})
    with pytest.raises(InvalidOfficerHalf):
        office.service.close_session("da-tiep-nhan", True, {OVERALL: 4})
    with pytest.raises(NoRatingWindow):
        office.service.open_rating()
    assert events_of(office.counter.store, "session.closed") == []
    office.service.close_session("vang-mat", False, {})
    with pytest.raises(NoSession):
        office.service.recall()
    with pytest.raises(NoSession):
        office.service.start_serving()


def test_a_session_survives_a_restart_of_the_app(office: Office):
    office.issue(1)
    office.sign_in()
    called = office.service.call_next()
    office.service.start_serving()
    again = CounterService(
        office.counter.store, office.counter.config, office.counter.officers, None, office.clock
    )
    assert again.current() == office.service.current()
    office.later(minutes=3)
    again.close_session("da-tiep-nhan", True, {OVERALL: 1})
    window = again.open_rating()
    restarted = CounterService(
        office.counter.store, office.counter.config, office.counter.officers, None, office.clock
    )
    assert restarted.rating_window() == window
    assert restarted.open_rating() == window  # the same window: its time is not extended
    assert window.session_id == called.id


def test_call_next_without_the_server_says_so(office: Office, tmp_path: Path):
    office.issue(1)
    office.sign_in()
    down = CounterService(
        office.counter.store,
        office.counter.config,
        office.counter.officers,
        CentralClient("http://127.0.0.1:9", timeout=2),
        office.clock,
    )
    with pytest.raises(CentralUnreachable, match="connection was refused"):
        down.call_next()
    stranger = Counter(tmp_path / "stranger", office.clock, number=5)  # never enrolled
    stranger.officers.sign_in("officer-binh", PINS["officer-binh"])
    try:
        with pytest.raises(CentralUnreachable, match="not enrolled"):
            stranger.service.call_next()
    finally:
        stranger.close()
    assert events_of(office.counter.store) == []


def together(action: Callable[[], Any], threads: int = 6) -> list[Any]:
    """Run `action` in several threads released at once; each one's result or exception."""
    start = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = action()
        except Exception as error:
            results[index] = error

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def test_worker_threads_at_once_call_one_ticket_and_count_one_rating(office: Office):
    office.issue(3)
    office.sign_in()
    wakes = []
    service = CounterService(
        office.counter.store,
        office.counter.config,
        office.counter.officers,
        office.counter.link,
        office.clock,
        on_events=lambda: wakes.append(1),
    )
    calls = together(service.call_next)
    sessions = [r for r in calls if not isinstance(r, Exception)]
    assert len(sessions) == 1
    assert all(isinstance(r, SessionOpen) for r in calls if isinstance(r, Exception))
    office.later(minutes=3)
    service.close_session("da-tiep-nhan", True, {OVERALL: 1})
    service.open_rating()
    office.later(seconds=5)
    presses = together(lambda: service.record_citizen_rating(2, []))
    assert sorted(p.counted for p in presses) == [False] * 5 + [True]
    assert events_of(office.counter.store, "ticket.called")[0]["data"]["session_id"] == (
        sessions[0].id
    )
    assert len(events_of(office.counter.store, "rating.citizen")) == 6
    assert len(wakes) == 1 + 1 + 6  # the sync worker is woken after each write of events


def test_a_typed_number_another_counter_holds_is_refused_on_the_spot(
    office: Office, tmp_path: Path
):
    """Online, a typed (or scanned) number is called through the server: one that counter 2
    is serving gets a clear answer at counter 3 in Vietnamese, and nothing moves."""
    first, second = office.issue(2)
    office.sign_in()
    called = office.service.call_next()
    assert called is not None and called.label == first
    other = Counter(tmp_path / "counter-3", office.clock, number=3, fields=("ho-tich",))
    other.enrol(CentralServer(office.base_url, office.database_url), counter=3)
    other.officers.sign_in("officer-binh", PINS["officer-binh"])
    try:
        with pytest.raises(TicketRefused) as refused:
            other.service.take_ticket(label=first)
        error = refused.value
        assert error.message is not None
        translator = Translator(LOCALE_DIR, "vi")
        words = translator.gettext(error.message, "vi").format(**error.values)
        assert words == f"Số {first} đang được phục vụ tại quầy 2. Không có thay đổi nào."
        assert other.service.current() is None and events_of(other.store) == []

        taken = other.service.take_ticket(label=second)  # not held: called at once
        assert taken.ticket_id is not None  # the server knew it and called it here
        assert office.service.current() == called
    finally:
        other.close()
    queue = requests.get(
        f"{office.base_url}/api/v1/offices/00637/queue",
        headers={"Authorization": f"Bearer {office.lobby.token()}"},
        timeout=10,
    ).json()
    assert queue["fields"][0]["waiting"] == 0
