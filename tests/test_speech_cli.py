"""`kiosk speech-test` as a technician checks a voice pack: a real process, real espeak-ng."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devices import pcm
from devices.speaker import read_journal
from tests.support.device import write_override
from tests.support.sound import write_tone

REPO = Path(__file__).resolve().parent.parent


def kiosk(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kiosk", *args, "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)


def test_speech_test_writes_the_announcement_and_names_each_words_source(
    tmp_path: Path,
) -> None:
    pack = tmp_path / "pack"
    write_tone(pack / "mời công dân có số.wav", 0.8, rate=44100, channels=2)
    write_tone(pack / "quầy.wav", 0.3, rate=16000, width=1)
    folder = write_override(tmp_path / "etc", kiosk=f'[speech]\nvoice_pack = "{pack}"\n')
    out = tmp_path / "call.wav"

    done = kiosk(
        "speech-test", "--label", "A105", "--counter", "3", "--out", str(out), config=folder
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Says: Mời công dân có số a một trăm linh năm đến quầy số ba" in lines
    assert "  From the voice pack: Mời công dân có số | quầy" in lines
    assert "  From espeak-ng: a một trăm linh năm đến | số ba" in lines
    assert any(line.startswith(f"Voice pack {pack}: 5 of ") for line in lines), lines
    missing = next(line for line in lines if line.startswith("  Missing (espeak-ng says them): "))
    assert "nghìn" in missing and "mời" not in missing and "quầy" not in missing
    assert "số" in missing  # in "mời công dân có số", but "đến quầy số" needs it on its own
    sound = pcm.read_wav(out.read_bytes())
    assert sound.seconds > 1.5  # chime, two clips and espeak-ng's words


def test_speech_test_plays_on_the_virtual_speaker(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", kiosk='[speech]\noutput = "virtual"\nchime = false\n')
    done = kiosk("speech-test", "--test", config=folder)
    assert done.returncode == 0, done.stderr
    assert "No voice pack" in done.stdout
    (line,) = read_journal(tmp_path / "data" / "announcements")
    assert (line["key"], line["text"]) == ("speech-test", "Thử loa một hai ba bốn năm")


def test_speech_test_lists_the_clips_of_a_complete_pack(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", kiosk='[speech]\nnumber_style = "le"\n')
    done = kiosk("speech-test", "--words", config=folder)
    assert done.returncode == 0, done.stderr
    names = done.stdout.splitlines()
    assert names[:3] == ["xin nhắc lại.wav", "mời công dân có số.wav", "đến quầy số.wav"]
    assert {"lẻ.wav", "nghìn.wav", "mốt.wav", "tư.wav", "lăm.wav", "thử loa.wav"} <= set(names)
    assert "linh.wav" not in names


def test_a_bad_label_or_a_failing_device_is_one_sentence(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", kiosk='[speech]\nalsa_device = "no-such-device"\n')
    bad_label = kiosk("speech-test", "--label", "12-3", config=folder)
    assert bad_label.returncode == 1
    assert bad_label.stderr.strip() == (
        "--label: a ticket label is letters A-Z then digits, not '12-3'."
    )
    no_device = kiosk("speech-test", config=folder)
    assert no_device.returncode == 1
    assert no_device.stderr.startswith("Playing failed: the sound device 'no-such-device'")
    assert "Traceback" not in no_device.stderr
