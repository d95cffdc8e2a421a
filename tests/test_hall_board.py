"""The hall board: every call once whatever path and order it comes by, calls at once each get
their turn, stale calls are listed but not shown large, a new office day starts empty."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from common.office_clock import OfficeDayRule
from kiosk.config.hall import HallConfig
from kiosk.hall_board import HallBoard
from kiosk.hall_calls import HallCall, call_key, recall_key

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
RULE = OfficeDayRule(ZONE, time(4, 0))
CONFIG = HallConfig(
    recent_calls=4,
    hero_seconds=5,
    highlight_seconds=20,
    stale_after_seconds=120,
    queue_interval=10,
    fields=("ho-tich",),
    notice_vi="",
    notice_en="",
)


class Clocks:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


def board_at(start: datetime) -> tuple[HallBoard, Clocks]:
    clocks = Clocks(start)
    board = HallBoard(
        CONFIG,
        office="00637",
        day_of=RULE.day_of,
        clock=lambda: clocks.now,
        monotonic=lambda: clocks.mono,
    )
    return board, clocks


def call(label: str, counter: int, at: datetime, *, key: str | None = None, kind="call"):
    return HallCall(
        key or call_key(f"s-{label}-{counter}"),
        kind,
        "00637",
        RULE.day_of(at),
        label,
        counter,
        "ho-tich",
        at,
    )


MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=ZONE)


def test_a_call_by_both_paths_is_shown_and_announced_once():
    board, _ = board_at(MORNING)
    first = call("1023", 2, MORNING)
    assert board.add(first) is True
    assert board.add(first) is False  # the same key from the other path
    assert board.hero == first and board.hero_highlighted
    assert [item.call.label for item in board.recent()] == ["1023"]


def test_calls_at_once_take_turns_each_for_hero_seconds_and_stay_highlighted():
    board, clocks = board_at(MORNING)
    calls = [call(str(1001 + i), i + 1, MORNING + timedelta(seconds=i * 0.4)) for i in range(5)]
    for item in calls:
        assert board.add(item)
    assert board.hero == calls[0]
    assert board.waiting_turns == 4
    assert all(item.highlighted for item in board.recent())  # none waits unseen
    assert len(board.recent()) == 4  # recent_calls lines; the oldest waiting one makes way
    heroes = [board.hero]
    for _ in range(4):
        clocks.advance(4.9)
        board.tick()
        assert board.hero == heroes[-1]  # not before its time is up
        clocks.advance(0.2)
        board.tick()
        heroes.append(board.hero)
    assert heroes == calls
    clocks.advance(CONFIG.highlight_seconds)
    board.tick()
    assert not board.hero_highlighted and board.hero == calls[-1]
    assert not any(item.highlighted for item in board.recent())


def test_order_of_arrival_does_not_change_the_list():
    a = call("1001", 1, MORNING)
    b = call("1002", 2, MORNING + timedelta(seconds=30))
    recall = call("1001", 3, MORNING + timedelta(seconds=60), key=recall_key("e1"), kind="recall")
    lists = []
    for order in ([a, b, recall], [recall, b, a], [b, recall, a]):
        board, _ = board_at(MORNING + timedelta(seconds=61))
        for item in order:
            board.add(item)
        lists.append([(i.call.label, i.call.counter) for i in board.recent()])
    assert lists[0] == lists[1] == lists[2] == [("1001", 3), ("1002", 2)]


def test_a_recall_is_shown_large_again():
    board, clocks = board_at(MORNING)
    board.add(call("1023", 2, MORNING))
    clocks.advance(60)
    board.tick()
    assert not board.hero_highlighted
    again = call("1023", 2, clocks.now, key=recall_key("event-9"), kind="recall")
    assert board.add(again) is True
    assert board.hero == again and board.hero_highlighted


def test_a_late_call_after_an_outage_is_listed_not_announced():
    board, _ = board_at(MORNING + timedelta(minutes=30))
    late = call("1007", 1, MORNING)
    assert board.add(late) is False
    assert board.hero is None
    assert [(i.call.label, i.highlighted) for i in board.recent()] == [("1007", False)]


def test_other_office_and_other_day_are_ignored():
    board, _ = board_at(MORNING)
    other = HallCall(call_key("x"), "call", "00001", date(2026, 12, 2), "1", 1, None, MORNING)
    yesterday = call("1001", 1, MORNING - timedelta(days=1))
    assert board.add(other) is False and board.add(yesterday) is False
    assert board.recent() == []


def test_the_office_day_boundary_clears_the_board():
    night = datetime(2026, 12, 2, 3, 59, 50, tzinfo=ZONE)  # day_starts_at is 04:00
    board, clocks = board_at(night)
    assert board.add(call("1099", 1, night))
    clocks.advance(15)
    assert board.tick() is True
    assert board.hero is None and board.recent() == []
    assert board.day == date(2026, 12, 2)


def test_a_clock_that_jumps_back_does_not_freeze_turns():
    board, clocks = board_at(MORNING)
    board.add(call("1001", 1, MORNING))
    board.add(call("1002", 2, MORNING))
    clocks.now -= timedelta(minutes=10)  # the wall clock jumps back; monotonic time goes on
    clocks.mono += 5
    board.tick()
    assert board.hero.label == "1002"


def test_calls_before_a_restart_are_listed_the_newest_large_none_announced():
    board, _ = board_at(MORNING + timedelta(seconds=30))
    earlier = [call(str(1001 + i), i + 1, MORNING + timedelta(seconds=i)) for i in range(3)]
    board.add_history(earlier)
    assert board.hero == earlier[-1] and not board.hero_highlighted
    assert [i.call.label for i in board.recent()] == ["1003", "1002", "1001"]
    assert not any(i.highlighted for i in board.recent())
    assert board.add(earlier[0]) is False  # the same call again by the office network
    fresh = call("1004", 2, MORNING + timedelta(seconds=29))
    assert board.add(fresh) is True and board.hero == fresh


def test_a_clock_stepped_back_over_the_day_start_keeps_the_board_and_what_it_announced():
    night = datetime(2026, 12, 2, 4, 1, tzinfo=ZONE)
    board, clocks = board_at(night)
    first = call("1001", 1, night)
    assert board.add(first)
    clocks.now = datetime(2026, 12, 2, 3, 59, tzinfo=ZONE)  # the previous office day
    board.tick()
    assert board.add(first) is False  # not shown or announced again
    assert [i.call.label for i in board.recent()] == ["1001"]
    clocks.now = night + timedelta(minutes=1)
    assert board.tick() is False and board.day == date(2026, 12, 2)
