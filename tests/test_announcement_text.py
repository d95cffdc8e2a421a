"""The wording of a call: templates filled with words, checked when the configuration loads."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from kiosk.announcement_text import Wording
from kiosk.config import ConfigError, load_config
from kiosk.quiet_hours import QuietPeriod
from tests.support.device import write_override

TEMPLATE = "Mời công dân có số {number} đến quầy số {counter}"


def said(parts: tuple) -> list[str]:
    return [" ".join(part.words) for part in parts]


def test_the_shipped_template_says_the_number_and_counter_in_words() -> None:
    wording = Wording(TEMPLATE)
    (part,) = wording.parts("1023", 2)
    assert " ".join(part.words) == (
        "Mời công dân có số một nghìn không trăm hai mươi ba đến quầy số hai"
    )
    assert part.voice == "vi" and part.use_pack
    assert not any(ch.isdigit() for word in part.words for ch in word)


def test_a_recall_says_the_prefix_first() -> None:
    wording = Wording(TEMPLATE, recall_prefix_vi="Xin nhắc lại")
    assert said(wording.parts("A012", 12, recall=True)) == [
        "Xin nhắc lại Mời công dân có số a mười hai đến quầy số mười hai"
    ]
    assert said(wording.parts("A012", 12)) == ["Mời công dân có số a mười hai đến quầy số mười hai"]


def test_the_digits_style_reads_the_ticket_digit_by_digit_and_the_counter_by_value() -> None:
    wording = Wording(TEMPLATE, number_style="digits")
    assert said(wording.parts("1023", 12)) == [
        "Mời công dân có số một không hai ba đến quầy số mười hai"
    ]


def test_english_follows_in_the_english_voice_with_digits() -> None:
    wording = Wording(
        TEMPLATE,
        template_en="Number {number}, please go to counter {counter}",
        recall_prefix_en="Again",
    )
    vi, en = wording.parts("A012", 3, recall=True)
    assert (en.voice, en.use_pack) == ("en", False)
    assert " ".join(en.words) == "Again Number A 12, please go to counter 3"
    assert vi.voice == "vi"
    digits = Wording(TEMPLATE, template_en="Number {number}", number_style="digits")
    assert " ".join(digits.parts("1023", 1)[1].words) == "Number 1 0 2 3"


def test_a_template_may_leave_out_the_counter_and_use_punctuation() -> None:
    wording = Wording("Xin mời số {number}, số {number}!")
    assert said(wording.parts("5", 1)) == ["Xin mời số năm số năm"]


def test_the_phrases_a_voice_pack_needs_cover_template_numbers_and_letters() -> None:
    phrases = Wording(TEMPLATE, recall_prefix_vi="Xin nhắc lại").phrases("Thử loa, một, hai")
    assert phrases[:3] == (
        ("xin", "nhắc", "lại"),
        ("mời", "công", "dân", "có", "số"),
        ("đến", "quầy", "số"),
    )
    assert phrases[-1] == ("thử", "loa")  # "một" and "hai" are number words already
    singles = {phrase[0] for phrase in phrases if len(phrase) == 1}
    assert {"nghìn", "trăm", "linh", "mươi", "mốt", "tư", "lăm", "bê", "xê"} <= singles
    assert "lẻ" not in singles and "ngàn" not in singles


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Mời số {number} đến quầy {quay}", "unknown placeholder {quay}"),
        ("Mời số {number:>4}", "unknown placeholder {number}"),
        ("Mời quầy số {counter}", "{number} is missing"),
        ("Mời số {number} đến quầy số 2", "must hold no digits"),
        ("Mời số {number", "is not a template"),
    ],
)
def test_bad_templates_are_refused(template: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("{", r"\{")):
        Wording(template)


def test_speech_defaults_load(tmp_path: Path) -> None:
    speech = load_config(tmp_path).speech
    assert speech.enabled and speech.output == "alsa" and speech.voice_pack is None
    assert speech.template_vi == TEMPLATE and speech.template_en == ""
    assert speech.virtual_dir == Path("/var/lib/kiosk/announcements")
    assert speech.quiet_hours == ()


def test_speech_settings_are_read_from_the_site_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    folder = write_override(
        tmp_path / "etc",
        kiosk=f'[speech]\nvoice_pack = "{pack}"\noutput = "virtual"\nvirtual_dir = ""\n'
        'quiet_hours = ["12:00-13:30", "21:00-06:00"]\nquiet_volume = 0\nnumber_style = "le"\n'
        'template_en = "Number {number}, counter {counter}"\n',
    )
    speech = load_config(folder).speech
    assert speech.voice_pack == pack
    assert speech.virtual_dir == tmp_path / "data" / "announcements"
    assert speech.quiet_hours == (
        QuietPeriod(time(12, 0), time(13, 30)),
        QuietPeriod(time(21, 0), time(6, 0)),
    )
    assert speech.wording.number_style == "le"
    assert said(speech.wording.parts("101", 1))[1] == "Number 101, counter 1"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'template_vi = "Mời số {so} đến quầy {counter}"',
            '[speech] template_vi = "Mời số {so} đến quầy {counter}" — has an unknown'
            " placeholder {so}: only {number}, {counter} are filled in",
        ),
        (
            'template_en = "Counter {counter}"',
            '[speech] template_en = "Counter {counter}" — must say the ticket number',
        ),
        ('number_style = "ngan"', 'number_style = "ngan" — must be one of "linh", "le", "digits"'),
        ('output = "hdmi"', 'output = "hdmi" — must be one of "alsa", "virtual"'),
        ("volume = 120", "volume = 120 — must be a whole number of percent from 0 to 100"),
        ('quiet_hours = ["12:00-12:00"]', "starts and ends at the same minute"),
        ('quiet_hours = ["noon"]', 'must be a list of periods written "HH:MM-HH:MM"'),
        ('voice_pack = "pack"', 'voice_pack = "pack" — must be the absolute path of a folder'),
        ('voice_pack = "/nonexistent/pack"', "this folder does not exist"),
        ('recall_prefix_vi = "Lần 2"', "must be text (words, no digits)"),
        ('virtual_dir = "out"', 'virtual_dir = "out" — must be an absolute path'),
        ('engine = "piper"', 'engine = "piper" — must be one of "espeak-ng"'),
        ("loudness = 3", "loudness — unknown key"),
    ],
)
def test_bad_speech_values_name_the_file_and_key(tmp_path: Path, line: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc", kiosk=f"[speech]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert message.startswith(str(folder / "kiosk.toml")), message
    assert expected in message, message
