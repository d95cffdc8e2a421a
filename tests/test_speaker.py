"""Where the clip is heard: the virtual speaker's files and journal, and the real aplay."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from devices import pcm
from devices.speaker import AlsaSpeaker, SpeakerError, VirtualSpeaker, read_journal

needs_aplay = pytest.mark.skipif(shutil.which("aplay") is None, reason="alsa-utils not installed")


def test_the_virtual_speaker_writes_each_clip_and_a_journal_line(tmp_path: Path) -> None:
    speaker = VirtualSpeaker(tmp_path / "out")
    first, second = pcm.tone([(440, 0.3)]), pcm.tone([(660, 0.2)])
    speaker.play(first, key="call:a", text="số một")
    speaker.play(second, key="call:b", text="số hai")

    journal = read_journal(tmp_path / "out")
    assert [(j["file"], j["key"], j["text"], j["seconds"]) for j in journal] == [
        ("announce-0001.wav", "call:a", "số một", 0.3),
        ("announce-0002.wav", "call:b", "số hai", 0.2),
    ]
    assert pcm.read_wav((tmp_path / "out" / "announce-0001.wav").read_bytes()) == first
    for line in journal:
        started = datetime.fromisoformat(str(line["started_at"]))
        ended = datetime.fromisoformat(str(line["ended_at"]))
        assert started.tzinfo is not None
        # A play lasts as long as its clip: overlapping plays would show in these times.
        assert (ended - started).total_seconds() >= float(line["seconds"]) - 0.005
    assert datetime.fromisoformat(str(journal[1]["started_at"])) >= datetime.fromisoformat(
        str(journal[0]["ended_at"])
    )


def test_clip_numbers_carry_on_after_a_restart(tmp_path: Path) -> None:
    VirtualSpeaker(tmp_path).play(pcm.silence(0.01), key="k1", text="")
    VirtualSpeaker(tmp_path).play(pcm.silence(0.01), key="k2", text="")
    assert sorted(p.name for p in tmp_path.glob("announce-*.wav")) == [
        "announce-0001.wav",
        "announce-0002.wav",
    ]
    assert [j["key"] for j in read_journal(tmp_path)] == ["k1", "k2"]


def test_an_unplugged_or_unwritable_virtual_speaker_fails_plainly(tmp_path: Path) -> None:
    speaker = VirtualSpeaker(tmp_path / "out")
    speaker.unplug()
    with pytest.raises(SpeakerError, match="unplugged"):
        speaker.play(pcm.silence(0.01), key="k", text="")
    speaker.plug()
    speaker.play(pcm.silence(0.01), key="k", text="")

    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(SpeakerError, match="cannot write to"):
        VirtualSpeaker(tmp_path / "file").play(pcm.silence(0.01), key="k", text="")


@needs_aplay
def test_aplay_plays_a_clip_on_an_alsa_device() -> None:
    AlsaSpeaker("null").play(pcm.tone([(440, 0.2)]), key="k", text="")


@needs_aplay
def test_an_unknown_alsa_device_is_one_plain_sentence() -> None:
    with pytest.raises(SpeakerError) as caught:
        AlsaSpeaker("no-such-device").play(pcm.silence(0.1), key="k", text="")
    message = str(caught.value)
    assert message.startswith("the sound device 'no-such-device' cannot play (")
    assert "aplay -L" in message and "\n" not in message


def test_a_missing_aplay_says_what_to_install() -> None:
    speaker = AlsaSpeaker(executable="/nonexistent/aplay")
    with pytest.raises(SpeakerError, match="install it with apt install alsa-utils"):
        speaker.play(pcm.silence(0.1), key="k", text="")
