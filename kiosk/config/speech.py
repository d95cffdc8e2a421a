"""kiosk.toml's [speech]: how the hall display announces calls (kiosk.announcer).

The voice (espeak-ng, or a site's voice pack of recorded clips with espeak-ng for any word it
lacks), the wording (templates checked here, so a typo in a placeholder stops start-up), the
volume and quiet hours, and where the sound goes (the system's audio through aplay, or the
virtual speaker's folder of WAV files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.announcement_text import Wording, template_problem
from kiosk.config.reader import Table
from kiosk.number_words import STYLES
from kiosk.quiet_hours import PERIOD_ALLOWED, QuietPeriod

ENGINES = ("espeak-ng",)
OUTPUTS = ("alsa", "virtual")
VIRTUAL_DIR_NAME = "announcements"  # under [device] data_dir when virtual_dir = ""

_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,39}")
_VOICE_ALLOWED = 'must be an espeak-ng voice name (espeak-ng --voices), e.g. "vi"'
_ALSA_DEVICE = re.compile(r"[A-Za-z0-9_:,.=-]{1,80}")


@dataclass(frozen=True)
class SpeechConfig:
    enabled: bool
    engine: str
    voice: str
    voice_en: str
    rate: int  # words per minute (espeak-ng -s)
    voice_pack: Path | None  # None: espeak-ng says everything
    number_style: str  # kiosk.number_words.STYLES
    template_vi: str
    template_en: str  # "" = no English
    recall_prefix_vi: str  # said before a recalled number; "" = none
    recall_prefix_en: str
    test_text: str  # the technician's speaker test
    chime: bool
    word_gap: float  # seconds between the clips of a voice pack
    volume: int  # 0..100
    quiet_hours: tuple[QuietPeriod, ...]  # in the office's time zone
    quiet_volume: int  # 0..100 during quiet hours; 0 = not played (logged as skipped)
    output: str  # "alsa" | "virtual"
    alsa_device: str
    virtual_dir: Path

    @property
    def wording(self) -> Wording:
        return Wording(
            self.template_vi,
            self.template_en,
            self.recall_prefix_vi,
            self.recall_prefix_en,
            self.number_style,
            self.voice,
            self.voice_en,
        )


def parse_speech(t: Table, data_dir: Path) -> SpeechConfig:
    enabled = t.boolean("enabled")
    engine = t.choice("engine", ENGINES)
    voice = t.text("voice", _VOICE_ALLOWED, _VOICE)
    voice_en = t.text("voice_en", _VOICE_ALLOWED.replace('"vi"', '"en"'), _VOICE)
    rate = t.integer("rate", 80, 450, "words per minute")
    voice_pack = _optional_folder(t, "voice_pack")
    number_style = t.choice("number_style", STYLES)
    template_vi = _template(t, "template_vi", vietnamese=True)
    template_en = _template(t, "template_en", vietnamese=False)
    recall_prefix_vi = _phrase(t, "recall_prefix_vi", vietnamese=True)
    recall_prefix_en = _phrase(t, "recall_prefix_en", vietnamese=False)
    test_text = _phrase(t, "test_text", vietnamese=True)
    if not test_text.strip():
        t.fail("test_text", 'must be a phrase in words, e.g. "Thử loa, một, hai, ba"')
    chime = t.boolean("chime")
    word_gap = t.seconds("word_gap", 0, 1)
    volume = t.integer("volume", 0, 100, "percent")
    quiet_hours = _quiet_hours(t)
    quiet_volume = t.integer("quiet_volume", 0, 100, "percent", note=" (0: not announced)")
    output = t.choice("output", OUTPUTS)
    alsa_device = t.text(
        "alsa_device",
        'must be an ALSA device name (aplay -L), e.g. "default", "hdmi:0"',
        _ALSA_DEVICE,
    )
    virtual_dir = _virtual_dir(t, data_dir)
    t.finish()
    return SpeechConfig(
        enabled,
        engine,
        voice,
        voice_en,
        rate,
        voice_pack,
        number_style,
        template_vi,
        template_en,
        recall_prefix_vi,
        recall_prefix_en,
        test_text,
        chime,
        word_gap,
        volume,
        quiet_hours,
        quiet_volume,
        output,
        alsa_device,
        virtual_dir,
    )


def _template(t: Table, key: str, *, vietnamese: bool) -> str:
    allowed = "must be text with {number} and optionally {counter}"
    value = t.take(key, allowed if vietnamese else allowed + ', or "" for none')
    if not isinstance(value, str) or (vietnamese and not value.strip()):
        t.fail(key, allowed)
    if value.strip() and (problem := template_problem(value, vietnamese=vietnamese)):
        t.fail(key, problem)
    return value.strip()


def _phrase(t: Table, key: str, *, vietnamese: bool) -> str:
    allowed = 'must be text (words, no digits), or "" for none'
    value = t.take(key, allowed)
    if not isinstance(value, str) or (vietnamese and any(c.isdigit() for c in value)):
        t.fail(key, allowed)
    return value.strip()


def _optional_folder(t: Table, key: str) -> Path | None:
    allowed = 'must be the absolute path of a folder of WAV clips (docs/voice-pack.md), or ""'
    value = t.take(key, allowed)
    if not isinstance(value, str):
        t.fail(key, allowed)
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute():
        t.fail(key, allowed)
    if not path.is_dir():
        t.fail(key, allowed + " — this folder does not exist")
    return path


def _quiet_hours(t: Table) -> tuple[QuietPeriod, ...]:
    value = t.take("quiet_hours", PERIOD_ALLOWED + ", or [] for none")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        t.fail("quiet_hours", PERIOD_ALLOWED + ", or [] for none")
    periods = []
    for text in value:
        try:
            periods.append(QuietPeriod.parse(text))
        except ValueError as error:
            t.fail("quiet_hours", f"{PERIOD_ALLOWED}: {error}")
    return tuple(periods)


def _virtual_dir(t: Table, data_dir: Path) -> Path:
    allowed = f'must be an absolute path, or "" for <data_dir>/{VIRTUAL_DIR_NAME}'
    value = t.take("virtual_dir", allowed)
    if not isinstance(value, str):
        t.fail("virtual_dir", allowed)
    if not value:
        return data_dir / VIRTUAL_DIR_NAME
    if not Path(value).is_absolute():
        t.fail("virtual_dir", allowed)
    return Path(value)
