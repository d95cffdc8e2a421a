"""The hall's announcement queue with real espeak-ng, real threads and the virtual speaker:
every call said once, in order, never two at a time, whatever fails, quiet when configured."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest

from devices import pcm
from devices.speaker import AlsaSpeaker, VirtualSpeaker, read_journal
from devices.speech import EspeakEngine, Synthesizer, VoicePack
from kiosk.announcer import Announcement, Announcer
from kiosk.config import Config, load_config
from kiosk.quiet_hours import QuietPeriod, is_quiet
from tests.support.clocks import HCM, Clock
from tests.support.device import write_override
from tests.support.sound import peak, write_tone

DEADLINE = 60.0  # seconds for a queue of short clips to be played (each lasts about a second)
# Short clips so that a queue of five plays in seconds: no chime, a short template, fast voice.
SHORT = (
    '[speech]\noutput = "virtual"\nchime = false\nrate = 260\n'
    'template_vi = "Số {number} quầy {counter}"\n'
)


def speech_config(tmp_path: Path, extra: str = "") -> Config:
    return load_config(write_override(tmp_path / "etc", kiosk=SHORT + extra))


class Events:
    """on_event's calls, as the display would get them (from the player thread)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, datetime]] = []
        self._lock = threading.Lock()
        self.hooks: list[Callable[[str, str], None]] = []

    def __call__(self, kind: str, key: str, when: datetime) -> None:
        with self._lock:
            self.seen.append((kind, key, when))
        for hook in self.hooks:
            hook(kind, key)

    def kinds(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(kind, key) for kind, key, _ in self.seen]

    def wait_for(self, count: int, kinds: tuple[str, ...] = ("finished", "failed", "skipped")):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            done = [e for e in self.kinds() if e[0] in kinds]
            if len(done) >= count:
                return done
            time.sleep(0.05)
        raise AssertionError(f"only {self.kinds()} within {DEADLINE} s")


def running(config: Config, events: Events, clock: Callable[[], datetime] | None = None):
    announcer = Announcer.from_config(
        config, clock=clock or Clock(datetime(2026, 12, 2, 10, 0, tzinfo=HCM)), on_event=events
    )
    announcer.start()
    return announcer


def test_five_calls_within_two_seconds_are_all_played_in_order_without_overlap(
    tmp_path: Path,
) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = running(config, events)
    try:
        calls = [("1001", 1), ("1002", 2), ("A015", 3), ("1004", 1), ("2000", 2)]
        for index, (label, counter) in enumerate(calls):
            announcer.announce(Announcement(f"call:{index}", label, counter))
            time.sleep(0.3)  # five calls within 1.5 s, as several counters calling at once
        done = events.wait_for(5)
    finally:
        announcer.stop()

    keys = [f"call:{i}" for i in range(5)]
    assert done == [("finished", key) for key in keys]
    assert events.kinds() == [(kind, key) for key in keys for kind in ("started", "finished")]
    journal = read_journal(config.speech.virtual_dir)
    assert [j["key"] for j in journal] == keys
    assert [j["text"] for j in journal] == [
        "Số một nghìn không trăm linh một quầy một",
        "Số một nghìn không trăm linh hai quầy hai",
        "Số a mười lăm quầy ba",
        "Số một nghìn không trăm linh bốn quầy một",
        "Số hai nghìn quầy hai",
    ]
    for before, after in itertools.pairwise(journal):
        assert datetime.fromisoformat(str(after["started_at"])) >= datetime.fromisoformat(
            str(before["ended_at"])
        ), (before, after)
    assert announcer.state().queue_depth == 0
    assert announcer.state().played == 5


def test_a_recall_is_announced_again_with_its_prefix(tmp_path: Path) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = running(config, events)
    try:
        announcer.announce(Announcement("call:s1", "1023", 2))
        announcer.announce(Announcement("recall:e1", "1023", 2, recall=True))
        events.wait_for(2)
    finally:
        announcer.stop()
    journal = read_journal(config.speech.virtual_dir)
    assert [(j["key"], j["text"]) for j in journal] == [
        ("call:s1", "Số một nghìn không trăm hai mươi ba quầy hai"),
        ("recall:e1", "Xin nhắc lại Số một nghìn không trăm hai mươi ba quầy hai"),
    ]


def test_a_failed_play_is_reported_and_the_queue_goes_on(tmp_path: Path) -> None:
    """The virtual speaker is unplugged after the first play and plugged back after the
    failure it causes: the third call is still played."""
    config = speech_config(tmp_path)
    events = Events()
    announcer = Announcer.from_config(config, on_event=events)
    speaker = announcer.speaker
    assert isinstance(speaker, VirtualSpeaker)
    events.hooks.append(
        lambda kind, key: speaker.unplug() if (kind, key) == ("finished", "call:1") else None
    )
    events.hooks.append(lambda kind, key: speaker.plug() if kind == "failed" else None)
    announcer.start()
    try:
        for index in (1, 2, 3):
            announcer.announce(Announcement(f"call:{index}", str(index), 1))
        done = events.wait_for(3)
    finally:
        announcer.stop()
    assert done == [("finished", "call:1"), ("failed", "call:2"), ("finished", "call:3")]
    assert [j["key"] for j in read_journal(config.speech.virtual_dir)] == ["call:1", "call:3"]
    state = announcer.state()
    assert (state.played, state.failed, state.queue_depth) == (2, 1, 0)
    assert state.last_error == "the virtual speaker is unplugged"


def test_a_sound_device_that_cannot_play_fails_each_call_and_never_blocks(
    tmp_path: Path,
) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = Announcer(
        config.speech,
        Synthesizer(EspeakEngine(rate=260)),
        AlsaSpeaker("no-such-device"),
        HCM,
        on_event=events,
    )
    announcer.start()
    try:
        for index in range(3):
            announcer.announce(Announcement(f"call:{index}", "7", 1))
        done = events.wait_for(3)
    finally:
        announcer.stop()
    assert done == [("failed", f"call:{i}") for i in range(3)]
    assert "no-such-device" in (announcer.state().last_error or "")


def test_without_espeak_each_call_fails_and_the_state_says_why(tmp_path: Path) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = Announcer(
        config.speech,
        Synthesizer(EspeakEngine(executable="/nonexistent/espeak-ng")),
        VirtualSpeaker(tmp_path / "out"),
        HCM,
        on_event=events,
    )
    announcer.start()
    assert "is not installed" in (announcer.state().last_error or "")
    try:
        announcer.announce(Announcement("call:1", "7", 1))
        announcer.announce(Announcement("call:2", "8", 1))
        assert events.wait_for(2) == [("failed", "call:1"), ("failed", "call:2")]
    finally:
        announcer.stop()
    assert read_journal(tmp_path / "out") == []


def test_an_unreadable_label_fails_in_its_turn_and_the_next_is_played(tmp_path: Path) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = running(config, events)
    try:
        announcer.announce(Announcement("call:bad", "12-3", 1))  # returns: no exception here
        announcer.announce(Announcement("call:good", "123", 1))
        assert events.wait_for(2) == [("failed", "call:bad"), ("finished", "call:good")]
    finally:
        announcer.stop()
    assert "ticket label" in (announcer.state().last_error or "")


def test_a_callback_that_raises_does_not_stop_the_queue(tmp_path: Path) -> None:
    config = speech_config(tmp_path)
    events = Events()

    def broken(kind: str, key: str) -> None:
        raise RuntimeError("the display's bug")

    events.hooks.append(broken)
    announcer = running(config, events)
    try:
        announcer.announce(Announcement("call:1", "1", 1))
        announcer.announce(Announcement("call:2", "2", 1))
        assert events.wait_for(2) == [("finished", "call:1"), ("finished", "call:2")]
    finally:
        announcer.stop()


def test_the_speaker_test_says_the_test_phrase(tmp_path: Path) -> None:
    config = speech_config(tmp_path)
    events = Events()
    announcer = running(config, events)
    try:
        key = announcer.test()
        assert events.wait_for(1) == [("finished", key)]
    finally:
        announcer.stop()
    (line,) = read_journal(config.speech.virtual_dir)
    assert line["text"] == "Thử loa một hai ba bốn năm"


def test_disabled_speech_skips_every_call(tmp_path: Path) -> None:
    config = speech_config(tmp_path, "enabled = false\n")
    events = Events()
    announcer = running(config, events)
    try:
        announcer.announce(Announcement("call:1", "1", 1))
        assert events.wait_for(1) == [("skipped", "call:1")]
    finally:
        announcer.stop()
    assert read_journal(config.speech.virtual_dir) == []


# Quiet hours: the office's local time, from the injected clock.


@pytest.mark.parametrize(
    ("period", "moment", "quiet"),
    [
        ("12:00-13:00", "11:59", False),
        ("12:00-13:00", "12:00", True),  # the start is quiet
        ("12:00-13:00", "12:59", True),
        ("12:00-13:00", "13:00", False),  # the end is not
        ("21:00-06:00", "20:59", False),
        ("21:00-06:00", "21:00", True),
        ("21:00-06:00", "23:59", True),
        ("21:00-06:00", "00:00", True),  # across midnight
        ("21:00-06:00", "05:59", True),
        ("21:00-06:00", "06:00", False),
    ],
)
def test_quiet_periods_start_at_their_first_minute_and_end_before_their_last(
    period: str, moment: str, quiet: bool
) -> None:
    hour, minute = map(int, moment.split(":"))
    assert QuietPeriod.parse(period).contains(clock_time(hour, minute)) is quiet


def test_quiet_hours_are_read_in_the_office_time_zone() -> None:
    periods = [QuietPeriod.parse("12:00-13:00")]
    assert is_quiet(periods, datetime(2026, 12, 2, 5, 30, tzinfo=UTC), HCM)  # 12:30 in Hà Nội
    assert not is_quiet(periods, datetime(2026, 12, 2, 12, 30, tzinfo=UTC), HCM)


@pytest.mark.parametrize(
    ("local", "played"),
    [
        ((21, 59), True),
        ((22, 0), False),  # quiet from its first minute
        ((23, 59), False),
        ((0, 0), False),  # across midnight
        ((5, 59), False),
        ((6, 0), True),  # loud again at its end
    ],
)
def test_quiet_hours_at_volume_zero_skip_the_call(
    tmp_path: Path, local: tuple[int, int], played: bool
) -> None:
    config = speech_config(tmp_path, 'quiet_hours = ["22:00-06:00"]\nquiet_volume = 0\n')
    events = Events()
    clock = Clock(datetime(2026, 12, 2, *local, tzinfo=HCM))
    announcer = running(config, events, clock)
    try:
        announcer.announce(Announcement("call:1", "5", 1))
        done = events.wait_for(1)
    finally:
        announcer.stop()
    assert done == [("finished" if played else "skipped", "call:1")]
    assert len(read_journal(config.speech.virtual_dir)) == (1 if played else 0)
    assert all(when == clock.now for _, _, when in events.seen)


def test_quiet_hours_play_at_the_quiet_volume(tmp_path: Path) -> None:
    config = speech_config(
        tmp_path, 'quiet_hours = ["12:00-13:00"]\nquiet_volume = 30\nvolume = 90\n'
    )
    events = Events()
    clock = Clock(datetime(2026, 12, 2, 11, 59, 30, tzinfo=HCM))
    announcer = running(config, events, clock)
    try:
        announcer.announce(Announcement("call:loud", "5", 1))
        events.wait_for(1)
        clock.now += timedelta(seconds=30)  # 12:00: quiet
        announcer.announce(Announcement("call:soft", "5", 1))
        events.wait_for(2)
    finally:
        announcer.stop()
    folder = config.speech.virtual_dir
    loud = pcm.read_wav((folder / "announce-0001.wav").read_bytes())
    soft = pcm.read_wav((folder / "announce-0002.wav").read_bytes())
    assert len(loud.samples) == len(soft.samples)
    assert peak(soft) == pytest.approx(peak(loud) * 30 / 90, rel=0.01)


def test_the_state_names_the_engine_and_the_words_the_pack_lacks(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_tone(pack / "số.wav", 0.2)
    write_tone(pack / "quầy.wav", 0.2)
    write_tone(pack / "một.wav", 0.2)
    config = speech_config(tmp_path, f'voice_pack = "{pack}"\n')
    announcer = Announcer.from_config(config)
    state = announcer.state()
    assert state.engine == "voice pack + espeak-ng"
    assert (state.voice_pack, state.output, state.running) == (pack, "virtual", False)
    assert {"số", "quầy", "một"} <= set(state.pack_words_found)
    assert {"hai", "nghìn", "linh", "thử", "loa"} <= set(state.pack_words_missing)
    assert not set(state.pack_words_found) & set(state.pack_words_missing)
    assert VoicePack(pack).uncovered([("số", "hai")]) == ("hai",)
