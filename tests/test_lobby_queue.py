"""The lobby's "people waiting ahead" from the central server's queue while it is fresh, and its
own count otherwise: with a real central server, a real counter's call-next, the lobby's real
store and outbox, its app on screen and its printed ticket."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kiosk import paths
from kiosk.central_client import CentralClient, CentralUnavailable
from kiosk.config import load_config
from kiosk.enrolment import CentralLink
from kiosk.i18n import Translator
from kiosk.queue_snapshot import STALE_INTERVALS, QueueSnapshot, QueueWatcher
from kiosk.store.tickets import SeenMark
from kiosk.ticket_layout import build_ticket_job
from kiosk.tickets import Ticket
from tests.support.central import CentralServer, central_server, enroll_device, running_central
from tests.support.clocks import Clock, office_morning
from tests.support.counter import Lobby
from tests.support.device import OFFICE, enrol
from tests.support.paper import print_on_twin, shows_line
from tests.support.ports import free_port
from tests.support.ui import field_button, go_to_fields, lobby_config, pump, running_lobby, tap

INTERVAL = 10
SERVER_VI = "Số người chờ trước Ông/Bà: {count}"
LOCAL_VI = "Số người chờ trước Ông/Bà (chỉ tính tại máy cấp số này): {count}"
SERVER_EN = "People waiting ahead of you: {count}"
LOCAL_EN = "People waiting ahead of you (counted at this kiosk only): {count}"


class Monotonic:
    """The watcher's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Hall:
    """A central server, a lobby enrolled with it, its queue watcher, and counter 2's token."""

    central: CentralServer
    lobby: Lobby
    clock: Clock
    watcher: QueueWatcher
    monotonic: Monotonic
    counter: CentralClient

    def issue(self, field_id: str = "ho-tich", *, priority: bool = False) -> Ticket:
        """A ticket issued with the watcher's snapshot, as the lobby app issues it, 20 s after
        the one before (call-next takes the oldest)."""
        self.clock.now += timedelta(seconds=20)
        return self.lobby.tickets.issue(
            field_id, priority=priority, request_id=str(uuid.uuid4()), queue=self.watcher.fresh()
        )

    def call_next(self) -> str:
        called = self.counter.call_next(OFFICE, 2, "officer-an", ["ho-tich"])
        assert called is not None
        return called["label"]


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    with central_server(tmp_path) as central:
        clock = Clock(office_morning())
        lobby = Lobby(tmp_path / "lobby", clock)
        lobby.enrol(central)
        token = enroll_device(central.database_url, OFFICE, "counter", "counter-02", counter=2)
        counter = CentralClient(central.url, token=token)
        monotonic = Monotonic()
        link = CentralLink(lobby.config)
        watcher = QueueWatcher(lobby.store, link, OFFICE, INTERVAL, monotonic=monotonic)
        try:
            yield Hall(central, lobby, clock, watcher, monotonic, counter)
        finally:
            link.close()
            counter.close()
            lobby.close()


def issued_event(hall: Hall, ticket: Ticket) -> dict:
    (event,) = [
        e
        for e in hall.lobby.store.outbox.pending()
        if e["type"] == "ticket.issued" and e["data"]["ticket_id"] == ticket.id
    ]
    return event["data"]


def test_a_call_at_a_counter_between_two_issues_lowers_the_next_ahead_count(hall: Hall) -> None:
    first = [hall.issue() for _ in range(3)]
    # No look at the server yet: the lobby's own count.
    assert [(t.waiting_ahead, t.waiting_source) for t in first] == [
        (0, "local"),
        (1, "local"),
        (2, "local"),
    ]
    hall.lobby.sync()
    assert hall.watcher.refresh()
    fourth = hall.issue()
    assert (fourth.waiting_ahead, fourth.waiting_source) == (3, "server")
    assert issued_event(hall, fourth)["waiting_source"] == "server"
    assert [hall.call_next(), hall.call_next()] == ["1001", "1002"]
    assert hall.lobby.sync() == {"accepted": 1, "duplicates": 0, "quarantined": 0}  # its key too
    assert hall.watcher.refresh()
    fifth = hall.issue()
    # Waiting: 1003 and 1004; the lobby's own count would say 4.
    assert (fifth.waiting_ahead, fifth.waiting_source) == (2, "server")
    assert hall.lobby.tickets.issued_today_here("ho-tich") == 5


def test_tickets_the_server_has_not_received_yet_are_added_to_its_count(hall: Hall) -> None:
    hall.issue()
    hall.issue()
    hall.lobby.sync()
    hall.issue()  # 1003: still in the outbox when the queue is read
    assert hall.watcher.refresh()
    assert hall.issue().waiting_ahead == 3  # 1001, 1002 on the server; 1003 not yet
    assert hall.issue().waiting_ahead == 4  # and 1004, issued after the snapshot
    hall.lobby.sync()
    assert hall.call_next() == "1001"
    assert hall.issue().waiting_ahead == 5  # the same snapshot: the call is not seen yet
    assert hall.watcher.refresh()
    assert hall.issue().waiting_ahead == 5  # 1002..1005 on the server, and 1006 not sent yet
    assert hall.issue("cu-tru").waiting_ahead == 0  # a field nobody waits for


def test_priority_tickets_count_only_the_priority_ones_waiting(hall: Hall) -> None:
    """As the local count does: call-next takes priority tickets first."""
    hall.issue()
    hall.issue(priority=True)
    hall.issue()
    hall.lobby.sync()
    assert hall.watcher.refresh()
    priority = hall.issue(priority=True)
    assert (priority.waiting_ahead, priority.waiting_source) == (1, "server")
    assert hall.issue().waiting_ahead == 4  # a plain ticket: everyone waiting is ahead
    hall.lobby.sync()
    assert hall.call_next() == "1002"  # the first priority ticket
    assert hall.watcher.refresh()
    assert hall.issue(priority=True).waiting_ahead == 1  # 1004 still waits; 1002 was called
    assert hall.issue().waiting_ahead == 5  # 1001, 1003, 1004, 1005, and 1006 (not sent yet)


def test_a_snapshot_is_used_until_three_intervals_old_then_the_local_count(hall: Hall) -> None:
    for _ in range(3):
        hall.issue()
    hall.lobby.sync()
    assert hall.watcher.refresh()
    hall.call_next()
    hall.call_next()
    hall.monotonic.now += STALE_INTERVALS * INTERVAL
    assert hall.watcher.fresh() is not None
    ticket = hall.issue()
    assert (ticket.waiting_ahead, ticket.waiting_source) == (3, "server")
    hall.monotonic.now += 0.5
    assert hall.watcher.fresh() is None
    ticket = hall.issue()
    assert (ticket.waiting_ahead, ticket.waiting_source) == (4, "local")
    assert issued_event(hall, ticket)["waiting_source"] == "local"
    assert hall.watcher.refresh()  # a fresh look brings the server's count back
    ticket = hall.issue()  # 1003 on the server, 1004 and 1005 not sent yet
    assert (ticket.waiting_ahead, ticket.waiting_source) == (3, "server")


def test_a_failed_fetch_keeps_the_last_snapshot_until_it_is_stale(tmp_path: Path) -> None:
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    lobby = Lobby(tmp_path / "lobby", Clock(office_morning()))
    monotonic = Monotonic()
    link = CentralLink(lobby.config)
    watcher = QueueWatcher(lobby.store, link, OFFICE, INTERVAL, monotonic=monotonic)
    try:
        with running_central(database_url, port=port) as url:
            lobby.enrol(CentralServer(url, database_url))
            assert watcher.refresh()
        # The server is gone.
        monotonic.now += INTERVAL
        assert not watcher.refresh()
        snapshot = watcher.fresh()
        assert snapshot is not None
        monotonic.now += STALE_INTERVALS * INTERVAL
        assert not watcher.refresh()
        assert watcher.fresh() is None
        ticket = lobby.issue()
        assert ticket.waiting_source == "local"
    finally:
        link.close()
        lobby.close()


def test_a_snapshot_of_another_office_day_is_not_used(hall: Hall) -> None:
    hall.issue()
    hall.lobby.sync()
    assert hall.watcher.refresh()
    snapshot = hall.watcher.fresh()
    assert snapshot is not None
    yesterday = QueueSnapshot(
        snapshot.generated_at - timedelta(days=1), snapshot.fields, snapshot.mark, 0.0
    )
    ticket = hall.lobby.tickets.issue(
        "ho-tich", priority=False, request_id=str(uuid.uuid4()), queue=yesterday
    )
    assert (ticket.waiting_ahead, ticket.waiting_source) == (1, "local")


def test_an_unenrolled_lobby_never_asks_and_says_its_own_count(tmp_path: Path) -> None:
    lobby = Lobby(tmp_path / "lobby", Clock(office_morning()))
    try:
        watcher = QueueWatcher(lobby.store, CentralLink(lobby.config), OFFICE, INTERVAL)
        assert not watcher.refresh()
        assert watcher.fresh() is None
    finally:
        lobby.close()


def test_the_mark_names_the_tickets_whose_event_is_still_in_the_outbox(hall: Hall) -> None:
    one, two = hall.issue(), hall.issue()
    assert hall.lobby.store.tickets.seen_mark() == SeenMark(2, frozenset({one.id, two.id}))
    hall.lobby.sync()
    assert hall.lobby.store.tickets.seen_mark() == SeenMark(2, frozenset())


GOOD_QUEUE = {
    "office": OFFICE,
    "generated_at": "2026-12-01T09:00:00+07:00",
    "fields": [{"field_id": "ho-tich", "waiting": 3, "priority_waiting": 1}],
    "recently_called": [],
}


def _with_field(**changes: Any) -> dict:
    return {**GOOD_QUEUE, "fields": [{**GOOD_QUEUE["fields"][0], **changes}]}


@contextlib.contextmanager
def answering(body: bytes) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that answers every GET with `body` (200, JSON)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        json.dumps([]).encode(),
        json.dumps({**GOOD_QUEUE, "office": "00001"}).encode(),
        json.dumps({**GOOD_QUEUE, "generated_at": None}).encode(),
        json.dumps({**GOOD_QUEUE, "fields": {}}).encode(),
        json.dumps(_with_field(waiting="3")).encode(),
        json.dumps(_with_field(waiting=-1)).encode(),
        json.dumps(_with_field(priority_waiting=True)).encode(),
        json.dumps(_with_field(field_id=None)).encode(),
    ],
)
def test_a_queue_answer_that_makes_no_sense_is_not_taken(body: bytes) -> None:
    with answering(body) as url:
        client = CentralClient(url)
        try:
            with pytest.raises(CentralUnavailable, match="could not be understood"):
                client.queue(OFFICE)
        finally:
            client.close()


def test_a_queue_answer_is_read_as_sent() -> None:
    with answering(json.dumps(GOOD_QUEUE).encode()) as url:
        client = CentralClient(url)
        try:
            assert client.queue(OFFICE) == GOOD_QUEUE
        finally:
            client.close()


# ------------------------------------------------------------------ the words, on paper


@pytest.mark.parametrize("profile_name", ["generic-80", "generic-58"])
@pytest.mark.parametrize(
    ("source", "lang", "words"),
    [
        ("server", "vi", SERVER_VI),
        ("local", "vi", LOCAL_VI),
        ("server", "en", SERVER_EN),
        ("local", "en", LOCAL_EN),
    ],
)
def test_the_printed_ticket_says_where_its_count_came_from(
    tmp_path: Path, source: str, lang: str, words: str, profile_name: str
) -> None:
    lobby = Lobby(tmp_path / "lobby", Clock(office_morning()))
    try:
        ticket = lobby.issue()
    finally:
        lobby.close()
    ticket = Ticket(**{**vars(ticket), "waiting_ahead": 12, "waiting_source": source})
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "kiosk.toml").write_text(f'[printer]\nprofile = "{profile_name}"\n')
    config = load_config(etc)
    job = build_ticket_job(
        ticket,
        config.catalogue.get("ho-tich"),
        config.office,
        Translator(paths.LOCALE_DIR),
        lang,
    )
    line = words.format(count=12)
    others = {SERVER_VI, LOCAL_VI, SERVER_EN, LOCAL_EN} - {words}
    texts = [getattr(element, "text", None) for element in job.elements]
    assert line in texts
    assert not any(other.format(count=12) in texts for other in others)
    _received, (page,) = print_on_twin(tmp_path / "printed", config.printer_profile, job)
    assert shows_line(page, line, config.printer_profile)


# ------------------------------------------------------------------ the app


def test_the_lobby_app_says_the_servers_count_then_its_own_when_the_server_is_gone(
    tmp_path: Path,
) -> None:
    """queue_interval 2: the app's snapshot goes stale 6 s after the server stops."""
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    config = lobby_config(tmp_path, "[lobby]\nqueue_interval = 2\n")
    token = enroll_device(database_url, OFFICE, "counter", "counter-02", counter=2)
    with contextlib.ExitStack() as server:
        url = server.enter_context(running_central(database_url, port=port))
        enrol(config, CentralServer(url, database_url))
        with running_lobby(tmp_path, config=config) as (app, printer):
            assert pump(lambda: app.queue.fresh() is not None, timeout=15)
            screen = app.root.get_screen("ticket")
            for _ in range(2):
                tap(field_button(go_to_fields(app), "ho-tich"))
                assert pump(lambda: screen.print_state == "printed")
                app.go_home()
            assert pump(lambda: app.sync_status.pending == 0, timeout=15)
            counter = CentralClient(url, token=token)
            try:
                assert counter.call_next(OFFICE, 2, "officer-an", ["ho-tich"])["label"] == "1001"
            finally:
                counter.close()

            def one_waits() -> bool:
                snapshot = app.queue.fresh()
                return snapshot is not None and snapshot.waiting("ho-tich", priority=False) == 1

            assert pump(one_waits, timeout=15)
            tap(field_button(go_to_fields(app), "ho-tich"))
            assert pump(lambda: screen.label == "1003" and screen.print_state == "printed")
            assert screen.ids.waiting.text == SERVER_VI.format(count=1)  # 1002 waits
            assert printer.wait_for_pages(3, timeout=10)
            page = Image.open(printer.pages[2]).convert("L")
            assert shows_line(page, SERVER_VI.format(count=1), config.printer_profile)
            app.go_home()

            server.close()  # the server is gone
            assert pump(lambda: app.queue.fresh() is None, timeout=20)
            tap(field_button(go_to_fields(app), "ho-tich"))
            assert pump(lambda: screen.label == "1004" and screen.print_state == "printed")
            assert screen.ids.waiting.text == LOCAL_VI.format(count=3)
            assert printer.wait_for_pages(4, timeout=10)
            page = Image.open(printer.pages[3]).convert("L")
            assert shows_line(page, LOCAL_VI.format(count=3), config.printer_profile)
            app.language = "en"
            pump(timeout=0.1)
            assert screen.ids.waiting.text == LOCAL_EN.format(count=3)
