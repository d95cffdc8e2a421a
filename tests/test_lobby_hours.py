"""Outside opening hours the lobby issues no ticket nobody would call, and says when the office
opens, in the visitor's language; a 24-hour site issues at any hour. On an injected clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.support.clocks import HCM, Clock
from tests.support.ui import (
    field_button,
    frames,
    go_to_fields,
    pump,
    running_lobby,
    screenshot,
    tap,
    tickets_today,
)

HOURS = "[office]\nclosed_outside_hours = true\n"  # opens 07:30, tickets from 07:00, closes 17:00


@pytest.mark.parametrize(
    ("hour", "minute", "words"),
    [
        (5, 0, "Trung tâm làm việc từ 07:30. Mời Ông/Bà lấy số thứ tự từ 07:00."),
        (6, 59, "Trung tâm làm việc từ 07:30. Mời Ông/Bà lấy số thứ tự từ 07:00."),
        (17, 0, "Trung tâm đã hết giờ làm việc hôm nay. Ngày mai làm việc từ 07:30"),
        (23, 30, "Trung tâm đã hết giờ làm việc hôm nay. Ngày mai làm việc từ 07:30"),
    ],
)
def test_closed_hours_say_when_the_office_opens_and_issue_nothing(tmp_path, hour, minute, words):
    clock = Clock(datetime(2026, 12, 1, hour, minute, tzinfo=HCM))
    with running_lobby(tmp_path, extra_config=HOURS, clock=clock) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        assert pump(lambda: words in welcome.ids.instruction.text)
        assert welcome.ids.take_number.disabled and welcome.ids.take_number.opacity == 0
        tap(welcome.ids.take_number)
        tap(welcome.ids.greeting)  # a touch anywhere else on the welcome screen
        frames(5)
        assert app.root.current == "welcome"
        assert tickets_today(app) == []
        tap(welcome.ids.lang_en)
        assert pump(lambda: "The office" in welcome.ids.instruction.text)
        if hour == 5:
            screenshot(tmp_path / "closed.png")


def test_the_office_opens_for_tickets_before_its_doors_and_closes_while_a_citizen_chooses(
    tmp_path,
):
    clock = Clock(datetime(2026, 12, 1, 7, 0, tzinfo=HCM))
    with running_lobby(tmp_path, extra_config=HOURS, clock=clock) as (app, _printer):
        fields = go_to_fields(app)
        tap(field_button(fields, "ho-tich"))
        assert pump(lambda: app.root.current == "ticket")
        assert [t.label for t in tickets_today(app)] == ["1001"]
        app.go_home()
        clock.now = datetime(2026, 12, 1, 16, 59, 50, tzinfo=HCM)
        fields = go_to_fields(app)
        clock.now = datetime(2026, 12, 1, 17, 0, 1, tzinfo=HCM)  # closes while choosing
        tap(field_button(fields, "ho-tich"))
        welcome = app.root.get_screen("welcome")
        assert pump(lambda: app.root.current == "welcome")
        assert "hết giờ làm việc" in welcome.ids.instruction.text
        assert [t.label for t in tickets_today(app)] == ["1001"]


def test_a_24_hour_site_issues_at_night(tmp_path):
    clock = Clock(datetime(2026, 12, 1, 2, 0, tzinfo=HCM))
    extra = "[office]\nclosed_outside_hours = false\n"
    with running_lobby(tmp_path, extra_config=extra, clock=clock) as (app, _printer):
        fields = go_to_fields(app)
        tap(field_button(fields, "ho-tich"))
        assert pump(lambda: app.root.current == "ticket")
        (ticket,) = tickets_today(app)
        assert ticket.day.isoformat() == "2026-11-30"  # 02:00 is still the day before
