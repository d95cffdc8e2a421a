"""A counter tells the hall display of each call and recall over the office network, online
and with its central server down: a real CounterService on a real SQLite store, the real
central server (stopped for the offline part), a real UDP listener on 127.0.0.1."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from kiosk.config.office_network import Target
from kiosk.counter import CounterService
from kiosk.enrolment import CentralLink
from kiosk.hall_calls import CallKind, HallCall, call_key, recall_key
from kiosk.hall_key import HallKeyStore, store_hall_key
from kiosk.hall_network import HallListener, HallSender
from tests.support.central import CentralServer, running_central
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Counter, Lobby
from tests.support.device import OFFICE
from tests.support.events import events_of
from tests.support.hall import KEY, Received, hall_config, wait_until
from tests.support.ports import free_port

OVERALL = {"phien-lam-viec": 1}


def test_calls_and_recalls_reach_the_hall_online_and_with_the_server_down(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    port = free_port()
    clock = Clock(office_morning())
    lobby = Lobby(tmp_path / "lobby", clock)
    counter = Counter(tmp_path / "counter", clock, number=2)
    # The hall key both fetched once (the test writes it): the server here does not serve it.
    store_hall_key(counter.config.device.data_dir, KEY)
    store_hall_key(tmp_path / "display", KEY)
    counter_keys = HallKeyStore(
        counter.config.device.data_dir, OFFICE, CentralLink(counter.config), clock
    )
    display_keys = HallKeyStore(tmp_path / "display", OFFICE, None, clock)
    received = Received()
    display = HallListener(hall_config(), display_keys, on_call=received, clock=clock)
    display.start()  # bound now: the sender needs its port
    sender = HallSender(
        hall_config(send_to=(Target(*display.address),), base=counter.config),
        counter_keys,
        clock=clock,
    )
    service = CounterService(
        counter.store, counter.config, counter.officers, counter.link, clock, on_call=sender.send
    )

    def all_sent(calls: int) -> None:
        """Every attempt of the calls sent and taken (as repeats) before the test moves the
        clock by minutes: a late attempt would be stale, as it should."""
        wait_until(lambda: sender.stats().datagrams == 3 * calls)
        wait_until(lambda: display.stats().repeats == 2 * calls)

    with display, sender:
        with running_central(database_url, port=port, key_dir=tmp_path / "keys") as url:
            central = CentralServer(url, database_url)
            lobby.enrol(central)
            counter.enrol(central, counter=2)
            first = lobby.issue("ho-tich")
            lobby.sync()
            counter.officers.sign_in("officer-dung", PINS["officer-dung"])
            online = service.call_next()
            assert online is not None and online.ticket_id is not None
            assert received.next() == hall_call(
                counter, "call", call_key(online.id), online.day, first.label
            )
            all_sent(1)
            service.start_serving()
            clock.now += timedelta(minutes=3)
            service.close_session("da-tiep-nhan", True, OVERALL)
            service.open_rating()
            clock.now += timedelta(seconds=40)
            service.rating_timed_out()

        # The server is down: a typed number and its recall still reach the hall.
        assert not counter_keys.refresh()  # the cached key signs
        second = lobby.issue("ho-tich")
        typed = service.take_ticket(label=second.label)
        assert typed.ticket_id is None  # taken offline
        assert received.next() == hall_call(
            counter, "call", call_key(typed.id), typed.day, second.label
        )
        all_sent(2)
        clock.now += timedelta(seconds=20)
        service.recall()
        recalled = [e for e in events_of(counter.store) if e["type"] == "ticket.recalled"]
        assert len(recalled) == 1
        assert received.next() == hall_call(
            counter, "recall", recall_key(recalled[0]["id"]), typed.day, second.label
        )
        all_sent(3)
    assert received.empty()
    stats = display.stats()
    assert (stats.accepted, stats.repeats, stats.refused) == (3, 6, {})
    counter.close()
    lobby.close()


def hall_call(counter: Counter, kind: CallKind, key: str, day: date, label: str) -> HallCall:
    """The call the hall should get: timed as the event the counter wrote for it."""
    event_type = "ticket.recalled" if kind == "recall" else "ticket.called"
    event = next(
        e
        for e in reversed(events_of(counter.store))
        if e["type"] == event_type and e["data"]["label"] == label
    )
    return HallCall(
        key=key,
        kind=kind,
        office=OFFICE,
        day=day,
        label=label,
        counter=2,
        field_id="ho-tich",
        occurred_at=datetime.fromisoformat(event["occurred_at"]),
    )
