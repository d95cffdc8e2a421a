"""Words to sound with the real espeak-ng and real WAV clips: the engine, the voice pack and the
one format every clip is converted to."""

from __future__ import annotations

import unicodedata
from array import array
from pathlib import Path

import pytest

from devices import pcm
from devices.pcm import RATE, WavError
from devices.speech import (
    SOURCE_CHIME,
    SOURCE_ESPEAK,
    SOURCE_PACK,
    EspeakEngine,
    SpeechError,
    SpeechPart,
    Synthesizer,
    VoicePack,
    default_chime,
)
from kiosk.announcement_text import Wording
from tests.support.sound import peak, rms, write_tone

TEMPLATE = "Mời công dân có số {number} đến quầy số {counter}"


def test_espeak_says_an_announcement_as_a_non_silent_clip_of_plausible_length() -> None:
    (part,) = Wording(TEMPLATE).parts("1023", 2)
    rendering = Synthesizer(EspeakEngine(rate=140)).render([part], chime=False)
    sound = rendering.sound
    # 17 syllables at 140 words a minute: a few seconds, never a blip or a minute.
    assert 3.0 < sound.seconds < 12.0, sound.seconds
    assert peak(sound) > 5000
    assert rms(sound.samples) > 500
    assert rendering.from_source(SOURCE_ESPEAK) == (" ".join(part.words),)
    assert rendering.from_source(SOURCE_PACK) == ()


def test_a_faster_rate_gives_a_shorter_clip() -> None:
    words = "một nghìn không trăm hai mươi ba"
    slow = EspeakEngine(rate=100).synthesize(words, "vi")
    fast = EspeakEngine(rate=250).synthesize(words, "vi")
    assert fast.seconds < slow.seconds * 0.7


def test_espeak_output_has_its_padding_trimmed() -> None:
    sound = EspeakEngine().synthesize("một", "vi")
    assert abs(sound.samples[0]) >= pcm.SILENCE_THRESHOLD
    assert abs(sound.samples[-1]) >= pcm.SILENCE_THRESHOLD


def test_a_missing_espeak_is_one_plain_sentence() -> None:
    engine = EspeakEngine(executable="/nonexistent/espeak-ng")
    with pytest.raises(
        SpeechError, match="is not installed: install it with apt install espeak-ng"
    ):
        engine.synthesize("một", "vi")


def test_an_unknown_voice_is_reported_with_espeaks_reason() -> None:
    with pytest.raises(SpeechError, match=r"failed with voice 'xx-nope'.*does not exist"):
        EspeakEngine().synthesize("một", "xx-nope")


def test_the_voice_pack_says_the_words_it_has_and_espeak_the_rest(tmp_path: Path) -> None:
    """Clips are sine tones of distinct lengths: their samples, found where they belong in the
    result, prove which words came from the pack; the rest has espeak-ng's own length."""
    pack_dir = tmp_path / "pack"
    write_tone(pack_dir / "mời công dân có số.wav", 0.5, frequency=300)
    write_tone(pack_dir / "hai.wav", 0.25, frequency=500)
    write_tone(pack_dir / "mời.wav", 0.9, frequency=700)  # shorter phrase: never chosen here
    pack = VoicePack(pack_dir)
    engine = EspeakEngine()
    gap = 0.05
    synthesizer = Synthesizer(engine, pack, word_gap=gap)
    (part,) = Wording(TEMPLATE).parts("1023", 2)

    rendering = synthesizer.render([part], chime=False)

    assert [(p.text, p.source) for p in rendering.pieces] == [
        ("Mời công dân có số", SOURCE_PACK),
        ("một nghìn không trăm", SOURCE_ESPEAK),
        ("hai", SOURCE_PACK),
        ("mươi ba đến quầy số", SOURCE_ESPEAK),
        ("hai", SOURCE_PACK),
    ]
    phrase, two = pack.clip("mời công dân có số"), pack.clip("hai")
    first_run = engine.synthesize("một nghìn không trăm", "vi")
    second_run = engine.synthesize("mươi ba đến quầy số", "vi")
    gap_samples = len(pcm.silence(gap).samples)
    pieces = [phrase, first_run, two, second_run, two]
    assert len(rendering.sound.samples) == sum(len(p.samples) for p in pieces) + 4 * gap_samples
    samples = rendering.sound.samples
    assert samples[: len(phrase.samples)] == phrase.samples
    assert samples[-len(two.samples) :] == two.samples
    start = len(phrase.samples) + gap_samples + len(first_run.samples) + gap_samples
    assert samples[start : start + len(two.samples)] == two.samples


def test_a_pack_with_every_word_needs_no_espeak(tmp_path: Path) -> None:
    wording = Wording(TEMPLATE)
    for index, phrase in enumerate(wording.phrases()):
        write_tone(tmp_path / "pack" / f"{' '.join(phrase)}.wav", 0.1 + index / 1000)
    pack = VoicePack(tmp_path / "pack")
    assert pack.uncovered(wording.phrases()) == ()
    synthesizer = Synthesizer(EspeakEngine(executable="/nonexistent/espeak-ng"), pack)
    rendering = synthesizer.render(wording.parts("B1105", 999))
    assert rendering.from_source(SOURCE_ESPEAK) == ()
    assert rendering.text == (
        "Mời công dân có số bê một nghìn một trăm linh năm đến quầy số chín trăm chín mươi chín"
    )


def test_pack_file_names_are_matched_in_nfc_lower_case(tmp_path: Path) -> None:
    name = unicodedata.normalize("NFD", "MƯỜI")  # as a site's file manager may write it
    write_tone(tmp_path / f"{name}.wav", 0.2)
    pack = VoicePack(tmp_path)
    assert pack.phrases == {"mười"}
    assert pack.match(("Mười",), 0) == 1


def test_clips_of_any_rate_width_and_channels_are_converted(tmp_path: Path) -> None:
    formats = [
        ("mono16-22050", 22050, 2, 1),
        ("mono8-8000", 8000, 1, 1),
        ("stereo16-44100", 44100, 2, 2),
        ("stereo8-16000", 16000, 1, 2),
        ("mono16-48000", 48000, 2, 1),
    ]
    for name, rate, width, channels in formats:
        path = write_tone(
            tmp_path / f"{name}.wav", 0.4, rate=rate, width=width, channels=channels, level=0.5
        )
        sound = pcm.read_wav(path.read_bytes())
        assert abs(sound.seconds - 0.4) < 0.002, name
        assert 0.45 * 32767 < peak(sound) <= 0.51 * 32767, name  # the level survives
        assert abs(rms(sound.samples) - 0.5 * 32767 / 2**0.5) < 0.02 * 32767, name


def test_a_streamed_wav_with_a_bogus_data_size_is_read_to_its_end() -> None:
    sound = pcm.tone([(440, 0.3)])
    data = bytearray(sound.to_wav())
    data[40:44] = (0x7FFFFFFF).to_bytes(4, "little")  # espeak-ng --stdout writes this
    assert pcm.read_wav(bytes(data)).samples == sound.samples


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a wav at all", "no RIFF/WAVE header"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no format or no data"),
    ],
)
def test_bytes_that_are_not_a_wav_are_refused(data: bytes, problem: str) -> None:
    with pytest.raises(WavError, match=problem):
        pcm.read_wav(data)


def test_a_broken_clip_in_the_pack_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "một.wav").write_bytes(b"RIFF....WAVEjunk")
    synthesizer = Synthesizer(EspeakEngine(), VoicePack(tmp_path))
    with pytest.raises(SpeechError, match=r"the voice pack clip .*một\.wav cannot be used"):
        synthesizer.render([SpeechPart(("một",), "vi")])


def test_a_missing_pack_folder_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="does not exist"):
        VoicePack(tmp_path / "nope")


def test_the_chime_comes_first_from_the_pack_or_built_in(tmp_path: Path) -> None:
    part = SpeechPart(("một",), "vi")
    built_in = Synthesizer(EspeakEngine()).render([part])
    chime = default_chime()
    assert built_in.pieces[0].source == SOURCE_CHIME
    assert built_in.sound.samples[: len(chime.samples)] == chime.samples
    assert 1.0 < chime.seconds < 2.0 and peak(chime) > 10000

    write_tone(tmp_path / "Chime.wav", 0.7, frequency=880, rate=44100)
    from_pack = Synthesizer(EspeakEngine(), VoicePack(tmp_path)).render([part])
    pack_chime = pcm.read_wav((tmp_path / "Chime.wav").read_bytes())
    assert from_pack.sound.samples[: len(pack_chime.samples)] == pack_chime.samples
    assert VoicePack(tmp_path).phrases == frozenset()  # chime.wav is not a word


def test_volume_scales_the_samples() -> None:
    sound = pcm.tone([(440, 0.2)])
    half = pcm.scaled(sound, 50)
    assert peak(half) == pytest.approx(peak(sound) / 2, abs=1)
    assert pcm.scaled(sound, 0).samples == array("h", bytes(len(sound.samples) * 2))
    assert pcm.scaled(sound, 100) is sound
    assert len(pcm.silence(1).samples) == RATE
