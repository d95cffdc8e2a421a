"""The words of a call announcement: the site's templates filled with the number and counter
read out as Vietnamese words (kiosk.number_words), as parts for devices.speech.

Templates (config [speech]) hold two placeholders, `{number}` (the ticket label) and
`{counter}` (the counter number): "Mời công dân có số {number} đến quầy số {counter}". The
Vietnamese template is said by the voice pack where it has clips and espeak-ng otherwise; it
must say the number and holds no digits (the engine would read them its own way). The
optional English one goes to espeak-ng's English voice, which reads digits well, so there the
number stays digits ("A012" as "A 12", or digit by digit in the digits style).

The ticket number is read in the configured style; the counter always by its value ("quầy số
mười hai"), also in the digits style, which is for long ticket numbers. A recall is the same
announcement after a short prefix ("Xin nhắc lại"), so the hall can tell it from a new call.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from devices.speech import SpeechPart
from kiosk import number_words

PLACEHOLDERS = ("number", "counter")
_WORD = re.compile(r"\w+")
_PUNCTUATION = re.compile(r"[^\w\s]+")  # where a phrase to record ends ("Thử loa, một")
_LABEL = re.compile(r"([A-Za-z]*)([0-9]+)")


def template_problem(template: str, *, vietnamese: bool) -> str | None:
    """What is wrong with an announcement template, or None: for a ConfigError."""
    names = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as error:
        return f"is not a template ({error}); a literal brace is written {{{{ or }}}}"
    used = []
    for literal, name, spec, conversion in fields:
        if vietnamese and any(c.isdigit() for c in literal):
            return (
                "must hold no digits: write numbers as words (the engine reads digits its own way)"
            )
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            return f"has an unknown placeholder {{{name}}}: only {names} are filled in"
        used.append(name)
    if "number" not in used:
        return "must say the ticket number: {number} is missing"
    return None


def words_of(text: str) -> tuple[str, ...]:
    """The words of a phrase, punctuation dropped: what the voice pack is looked up by."""
    return tuple(_WORD.findall(text))


def _phrases(texts: Iterable[str]) -> list[tuple[str, ...]]:
    """The texts' stretches between punctuation, as lower-case words."""
    runs = [run for text in texts for run in _PUNCTUATION.split(text)]
    return [tuple(w.casefold() for w in words_of(run)) for run in runs]


@dataclass(frozen=True)
class Wording:
    """How calls are worded: the [speech] templates and the voices that say them."""

    template_vi: str
    template_en: str = ""  # "" = no English
    recall_prefix_vi: str = ""
    recall_prefix_en: str = ""
    number_style: str = "linh"
    voice_vi: str = "vi"
    voice_en: str = "en"

    def __post_init__(self) -> None:
        for name, template, vietnamese in (
            ("template_vi", self.template_vi, True),
            ("template_en", self.template_en, False),
        ):
            if (template or vietnamese) and (
                problem := template_problem(template, vietnamese=vietnamese)
            ):
                raise ValueError(f"{name} {problem}")
        if self.number_style not in number_words.STYLES:
            raise ValueError(f"number_style must be one of {', '.join(number_words.STYLES)}")

    def parts(self, label: str, counter: int, *, recall: bool = False) -> tuple[SpeechPart, ...]:
        """The announcement of ticket `label` called to `counter`: Vietnamese, then English."""
        number = number_words.label_words(label, self.number_style)
        counter_style = "linh" if self.number_style == "digits" else self.number_style
        counter_words = number_words.number_words(counter, counter_style)
        parts = [
            SpeechPart(
                self._prefix(self.recall_prefix_vi, recall)
                + self._fill_vi(self.template_vi, number, counter_words),
                self.voice_vi,
            )
        ]
        if self.template_en:
            text = self.template_en.format(number=self._number_en(label), counter=counter)
            prefix = f"{self.recall_prefix_en} " if recall and self.recall_prefix_en else ""
            parts.append(SpeechPart(tuple((prefix + text).split()), self.voice_en, use_pack=False))
        return tuple(parts)

    def phrase(self, text: str) -> tuple[SpeechPart, ...]:
        """A fixed Vietnamese phrase (the speaker test) as one part."""
        return (SpeechPart(words_of(text), self.voice_vi),)

    def phrases(self, *extra: str) -> tuple[tuple[str, ...], ...]:
        """Everything in Vietnamese a call may say, as the phrases a voice pack is looked up
        in (the stretches of the template between its placeholders and punctuation, the recall
        prefix, each number word, and the `extra` texts such as the speaker test), lower
        case, each once."""
        numbers = number_words.vocabulary(self.number_style)
        if self.number_style == "digits":  # the counter is read by its value
            numbers += number_words.vocabulary("linh")
        out = _phrases([self.recall_prefix_vi, *self._literals(self.template_vi)])
        out += [(word,) for word in numbers]
        out += _phrases(extra)
        return tuple(dict.fromkeys(phrase for phrase in out if phrase))

    @staticmethod
    def _prefix(prefix: str, recall: bool) -> tuple[str, ...]:
        return words_of(prefix) if recall else ()

    @staticmethod
    def _literals(template: str) -> list[str]:
        return [literal for literal, _, _, _ in string.Formatter().parse(template)]

    @staticmethod
    def _fill_vi(
        template: str, number: tuple[str, ...], counter: tuple[str, ...]
    ) -> tuple[str, ...]:
        words: list[str] = []
        for literal, name, _, _ in string.Formatter().parse(template):
            words += words_of(literal)
            if name == "number":
                words += number
            elif name == "counter":
                words += counter
        return tuple(words)

    def _number_en(self, label: str) -> str:
        match = _LABEL.fullmatch(label.strip())
        if match is None:
            raise ValueError(f"a ticket label is letters A-Z then digits, not {label!r}")
        letters, digits = match.groups()
        number = " ".join(digits) if self.number_style == "digits" else str(int(digits))
        return " ".join([*letters.upper(), number])
