"""Officer sign-in at a counter: PINs, the lock after 5 wrong ones (kept across restarts),
badges, and the automatic sign-out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from common.key_files import KEY_BYTES
from kiosk.badges import export_badge_key, import_badge_key, sign_badge
from kiosk.officers import BadgeRefused, NotSignedIn, Officers, SignInLocked, WrongPin
from kiosk.store import Store
from tests.support.clocks import HCM, Clock
from tests.support.counter import PINS, Counter

LOCK_MINUTES = 15  # the shipped [counter] signin_lock_minutes


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    clock = Clock(datetime(2025, 9, 8, 9, 0, tzinfo=HCM))
    counter = Counter(tmp_path / "counter", clock, number=3)
    try:
        yield counter
    finally:
        counter.close()


def test_the_right_pin_signs_in(counter: Counter) -> None:
    officer = counter.officers.sign_in("officer-an", PINS["officer-an"])
    assert (officer.id, officer.name, officer.title) == (
        "officer-an",
        "Cán bộ An",
        "Công chức tiếp nhận",
    )
    assert counter.officers.current == officer
    assert "pin" not in repr(officer).lower()
    counter.officers.sign_out()
    assert counter.officers.current is None
    with pytest.raises(NotSignedIn):
        counter.officers.require()


def test_five_wrong_pins_lock_sign_in_even_after_a_restart(counter: Counter) -> None:
    clock = counter.clock
    left = []
    for _ in range(4):
        with pytest.raises(WrongPin) as wrong:
            counter.officers.sign_in("officer-an", "0000")
        left.append(wrong.value.attempts_left)
    assert left == [4, 3, 2, 1]
    with pytest.raises(SignInLocked) as locked:
        counter.officers.sign_in("officer-an", "0000")
    assert locked.value.until == clock.now + timedelta(minutes=LOCK_MINUTES)
    with pytest.raises(SignInLocked):  # the right PIN does not open a locked sign-in
        counter.officers.sign_in("officer-an", PINS["officer-an"])
    with pytest.raises(SignInLocked):  # nor does another officer's
        counter.officers.sign_in("officer-binh", PINS["officer-binh"])

    counter.store.close()
    counter.store = Store(counter.config.device.data_dir / "kiosk.db")
    reopened = Officers(counter.store, counter.config, clock)
    assert reopened.locked_until() == clock.now + timedelta(minutes=LOCK_MINUTES)
    clock.now += timedelta(minutes=LOCK_MINUTES - 1)
    with pytest.raises(SignInLocked):
        reopened.sign_in("officer-an", PINS["officer-an"])

    clock.now += timedelta(minutes=1)
    assert reopened.locked_until() is None
    assert reopened.sign_in("officer-an", PINS["officer-an"]).id == "officer-an"
    with pytest.raises(WrongPin) as again:  # a right PIN started the count afresh
        reopened.sign_in("officer-an", "9999")
    assert again.value.attempts_left == 4


def test_an_unknown_officer_code_counts_as_a_wrong_pin(counter: Counter) -> None:
    for code in ("nobody", "officer-an", "NOBODY", ""):
        with pytest.raises(WrongPin, match="Wrong officer code or PIN"):
            counter.officers.sign_in(code, "1111")
    with pytest.raises(SignInLocked):
        counter.officers.sign_in("officer-binh", "1111")
    with pytest.raises(SignInLocked):
        counter.officers.sign_in("officer-chi", PINS["officer-chi"])


def test_a_badge_signs_in_and_a_forged_one_does_not(counter: Counter, tmp_path: Path) -> None:
    data_dir = counter.config.device.data_dir
    with pytest.raises(BadgeRefused, match="no office badge key"):
        counter.officers.sign_in_badge("VNB1|00637|officer-an|AAAAAAAAAAAAAAAA")
    # The office key is made on another device and carried here.
    export_badge_key(tmp_path / "first-counter", tmp_path / "badge.key")
    import_badge_key(data_dir, tmp_path / "badge.key")
    key = (data_dir / "badge.key").read_bytes()
    assert len(key) == KEY_BYTES and (data_dir / "badge.key").stat().st_mode & 0o777 == 0o600

    badge = sign_badge(office="00637", officer_id="officer-chi", key=key)
    assert badge.startswith("VNB1|00637|officer-chi|")
    assert counter.officers.sign_in_badge(badge + "\r\n").id == "officer-chi"

    sig = badge.rsplit("|", 1)[1]
    forged = [
        f"VNB1|00637|officer-an|{sig}",  # another officer's code on a badge
        sign_badge(office="00637", officer_id="officer-an", key=bytes(KEY_BYTES)),
        badge[:-1] + ("A" if badge[-1] != "A" else "B"),
        sign_badge(office="00638", officer_id="officer-chi", key=key),
        "VNQ1|00637|20250908|1001|lobby-01|AAAAAAAAAAAAAAAA",  # a ticket, not a badge
        "https://example.vn",
    ]
    reasons = []
    for payload in forged:
        with pytest.raises(BadgeRefused) as refused:
            counter.officers.sign_in_badge(payload)
        reasons.append(refused.value.reason)
    assert reasons == [
        "badge signature does not match",
        "badge signature does not match",
        "badge signature does not match",
        "a badge of office 00638, not of this office (00637)",
        "not an officer badge",
        "not an officer badge",
    ]
    unknown = sign_badge(office="00637", officer_id="officer-eve", key=key)
    with pytest.raises(BadgeRefused, match=r"not in officers\.toml"):
        counter.officers.sign_in_badge(unknown)


def test_a_badge_works_while_pins_are_locked_unless_withdrawn(counter: Counter) -> None:
    export_badge_key(counter.config.device.data_dir, counter.config.device.data_dir / "copy")
    key = (counter.config.device.data_dir / "badge.key").read_bytes()
    for _ in range(5):
        with pytest.raises((WrongPin, SignInLocked)):
            counter.officers.sign_in("officer-an", "0000")
    badge = sign_badge(office="00637", officer_id="officer-an", key=key)
    assert counter.officers.sign_in_badge(badge).id == "officer-an"

    officers = tuple(
        dataclasses.replace(o, badge=o.id != "officer-an") for o in counter.config.officers
    )
    config = dataclasses.replace(counter.config, officers=officers)
    withdrawn = Officers(counter.store, config, counter.clock)
    with pytest.raises(BadgeRefused, match="withdrawn"):
        withdrawn.sign_in_badge(badge)


def test_idle_officers_are_signed_out(counter: Counter) -> None:
    clock = counter.clock
    assert not counter.officers.should_sign_out()
    counter.officers.sign_in("officer-an", PINS["officer-an"])
    clock.now += timedelta(minutes=29)
    assert not counter.officers.should_sign_out()
    counter.officers.touch()  # a tap on the officer's screen
    clock.now += timedelta(minutes=29, seconds=59)
    assert not counter.officers.should_sign_out()
    counter.officers.require()  # any action counts too
    clock.now += timedelta(minutes=30)
    assert counter.officers.should_sign_out()
    assert counter.officers.should_sign_out(clock.now - timedelta(seconds=1)) is False


def test_the_end_of_the_office_day_signs_out(counter: Counter) -> None:
    clock = counter.clock
    clock.now = datetime(2025, 9, 8, 16, 50, tzinfo=HCM)
    counter.officers.sign_in("officer-binh", PINS["officer-binh"])
    # Busy until the small hours: the day ends at day_starts_at (04:00), not at midnight.
    for moment in ("17:30", "23:59", "00:30", "03:59"):
        day = 8 if moment > "12" else 9
        clock.now = datetime.fromisoformat(f"2025-09-{day:02d}T{moment}:00+07:00")
        counter.officers.touch()
        assert not counter.officers.should_sign_out(), moment
    clock.now = datetime(2025, 9, 9, 4, 0, tzinfo=HCM)
    assert counter.officers.should_sign_out()
