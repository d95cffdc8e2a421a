"""The hall display's calls feed against a real central server (in a thread, stopped and started
again at the same address): the day's calls so far come as history, new calls as they are made,
a lost server is said with the time it was lost, and the feed recovers by itself without
repeating what it had."""

from __future__ import annotations

import queue
import time

import pytest

from kiosk.hall_calls import call_key
from kiosk.hall_feed import OFFLINE, ONLINE, CallFeed, FeedStatus
from tests.support.counter import PINS, Counter, counter_office
from tests.support.device import enrol
from tests.support.ui import display_config

WITHIN_S = 5.0


class Recorder:
    def __init__(self) -> None:
        self.calls: queue.Queue = queue.Queue()
        self.statuses: list[FeedStatus] = []

    def on_calls(self, calls, history: bool) -> None:
        self.calls.put((history, calls))

    def on_status(self, status: FeedStatus) -> None:
        self.statuses.append(status)

    def next(self):
        return self.calls.get(timeout=WITHIN_S)

    def wait_state(self, state: str) -> FeedStatus:
        deadline = time.monotonic() + WITHIN_S * 3
        while time.monotonic() < deadline:
            if self.statuses and self.statuses[-1].state == state:
                return self.statuses[-1]
            time.sleep(0.02)
        pytest.fail(f"the feed never became {state}: {self.statuses}")


def test_history_then_live_calls_then_offline_and_back_without_repeats(tmp_path):
    with counter_office(tmp_path) as office:
        counter = Counter(tmp_path / "counter", office.clock, number=1)
        counter.enrol(office.central, counter=1)
        counter.officers.sign_in("officer-an", PINS["officer-an"])
        for _ in range(3):
            office.issue()
        earlier = counter.service.call_next()
        counter.service.skip()
        config = display_config(tmp_path / "display")
        enrol(config, office.central)
        seen = Recorder()
        feed = CallFeed(
            config,
            on_calls=seen.on_calls,
            on_status=seen.on_status,
            clock=office.clock,
            wait=2,
        )
        feed.start()
        try:
            history, calls = seen.next()
            assert history and [c.key for c in calls] == [call_key(earlier.id)]
            seen.wait_state(ONLINE)

            live = counter.service.call_next()
            history, calls = seen.next()
            assert not history and [c.key for c in calls] == [call_key(live.id)]
            assert calls[0].label == live.label and calls[0].counter == 1

            office.stop()
            lost = seen.wait_state(OFFLINE)
            assert lost.since == office.clock() and lost.problem

            counter.service.skip()  # the server is down: the call-next below waits for it
            office.start()
            seen.wait_state(ONLINE)
            again = counter.service.call_next()
            history, calls = seen.next()
            assert not history and [c.key for c in calls] == [call_key(again.id)]
            assert seen.calls.empty()  # nothing it had came again
        finally:
            feed.stop()
            counter.close()


def test_an_item_that_is_not_a_call_is_skipped_and_the_feed_goes_on(tmp_path):
    feed = CallFeed(
        display_config(tmp_path),
        on_calls=lambda calls, history: None,
        on_status=lambda status: None,
        clock=lambda: None,
    )
    good = {
        "seq": 8,
        "key": "call:s-1",
        "kind": "call",
        "day": "2026-12-02",
        "label": "1023",
        "counter": 2,
        "field_id": "ho-tich",
        "occurred_at": "2026-12-02T02:30:00Z",
    }
    calls, last_seq = feed._read(
        {"calls": [{**good, "seq": 7, "kind": "shout"}, good], "last_seq": 8}
    )
    assert [c.label for c in calls] == ["1023"] and last_seq == 8  # the next ask is after 8
