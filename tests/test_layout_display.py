"""The hall display readable on every screen it is sold with: the board walked through its states
(nothing called yet, the newest call with a full list, calls at once, the notice line, the server
lost, a long ticket label) and the technician's PIN and menu, each audited
(tests/support/layout_audit.py) at 1920×1080, 1280×720, portrait 1080×1920 and the demo's
800×450 and 640×360. A failure lists every defect by screen, state, size and widget."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

import pytest

from kiosk.hall_calls import HallCall, call_key, recall_key
from kiosk.hall_feed import OFFLINE, FeedStatus
from kiosk.queue_snapshot import FieldWaiting, QueueSnapshot
from tests.support.layout_walk import Auditor, WalkStopped, panel, report
from tests.support.ui import display_config, running_display, tap

DISPLAY_SIZES = [(1920, 1080), (1280, 720), (1080, 1920), (800, 450), (640, 360)]


def calls(app, count: int, *, label_of=lambda i: str(1001 + i)) -> list[HallCall]:
    now = app._office_clock()
    day = app.settings.office.day_rule.day_of(now)
    made = [
        HallCall(
            call_key(f"session-{label_of(i)}"),
            "call",
            app.settings.office.code,
            day,
            label_of(i),
            i % 9 + 1,
            "ho-tich",
            now - timedelta(seconds=count - i),
        )
        for i in range(count)
    ]
    app.calls_arrived(made)
    return made


def queue_arrives(app) -> None:
    """The server's queue as the display's watcher would have fetched it just now."""
    fields = {
        field_id: FieldWaiting(3 * i, 0, 4.0 * i if i else None)
        for i, field_id in enumerate(app.settings.hall.fields)
    }
    mark = app.store.tickets.seen_mark()
    app.queue._latest = QueueSnapshot(app._office_clock(), fields, mark, time.monotonic())


def display_walk(app, auditor: Auditor) -> None:
    check, reach = auditor.check, auditor.reach
    board = app.board_screen
    check("nothing called yet")
    queue_arrives(app)
    made = calls(app, 3)
    reach(lambda: board.hero_label == made[0].label)
    check("three calls at once, the first large")
    calls(app, 12, label_of=lambda i: str(2001 + i))
    reach(lambda: len(board.ids.recent.children) == app.settings.hall.recent_calls)
    check("a full list")
    long_label = "AB123456"
    app.board._turns.clear()  # the test's own calls have had their turn
    app.board._hero_since -= 600
    recall = HallCall(
        recall_key("event-1"),
        "recall",
        app.settings.office.code,
        app.board.day,
        long_label,
        123,
        None,
        app._office_clock(),
    )
    app.calls_arrived([recall])
    reach(lambda: board.hero_label == long_label)
    check("a long label recalled at counter 123")
    board.notice = "Ông/Bà vui lòng chuẩn bị sẵn giấy tờ tùy thân và hồ sơ trước khi đến quầy"
    app._feed_changed(FeedStatus(OFFLINE, app._office_clock(), "no answer"))
    reach(lambda: app.status_alert)
    check("notice line, server lost")
    tap(board.ids.status_line)  # a tap is not the technician's long press
    app.open_technician_login()
    reach(lambda: app.root.current == "technician_login")
    check("technician PIN")
    app.root.current = "technician"
    reach(lambda: bool(app.root.get_screen("technician").facts))
    check("technician menu")


@pytest.mark.parametrize("size", DISPLAY_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_hall_display_fits_every_screen(tmp_path, size):
    config = display_config(tmp_path)
    with panel(size) as px_per_mm, running_display(config, size=size) as app:
        auditor = Auditor(app, tmp_path, px_per_mm)
        with contextlib.suppress(WalkStopped):
            display_walk(app, auditor)
    assert not auditor.problems, report(auditor.problems)


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_longest_list_of_calls_fits_too(tmp_path, size):
    config = display_config(tmp_path, "[hall]\nrecent_calls = 20\n")
    with panel(size) as px_per_mm, running_display(config, size=size) as app:
        auditor = Auditor(app, tmp_path, px_per_mm)
        calls(app, 24)
        auditor.reach(lambda: len(app.board_screen.ids.recent.children) == 20)
        auditor.check("twenty calls listed, twenty-four at once")
    assert not auditor.problems, report(auditor.problems)
