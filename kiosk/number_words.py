"""Ticket numbers as Vietnamese words, Northern usage: what the voice is fed, never digits.

Our own reader, so that the pronunciation is ours to test rather than the speech engine's
(espeak-ng says the Southern "ngàn" for "nghìn"). Three styles:

- "linh": 101 = "một trăm linh một", 1001 = "một nghìn không trăm linh một" (the default);
- "le": the same with "lẻ" for "linh": 101 = "một trăm lẻ một";
- "digits": digit by digit, 1023 = "một không hai ba" (leading zeros read too).

Choices where usage varies, made once here:
- after "mươi" (21..99) a 1 is "mốt", a 4 is "tư" ("hai mươi tư"; "hai mươi bốn" is heard too,
  "tư" is the common Northern reading), a 5 is "lăm"; after "mười" (11..19) a 1 stays "một" and
  a 4 stays "bốn", a 5 is "lăm"; after "linh"/"lẻ" every digit keeps its own name ("một trăm
  linh năm", "một trăm linh bốn");
- a hundreds group below a non-zero higher group is read in full: 1023 = "một nghìn không trăm
  hai mươi ba"; an all-zero group is left out: 1 000 023 = "một triệu không trăm hai mươi ba";
- "nghìn" for thousands (Northern), "triệu" for millions; numbers up to 999 999 999.

A ticket label may carry a letter prefix (catalogue.toml: up to 3 capital letters, "A012"):
its letters are read by their Vietnamese names ("a", "bê", "xê"...), the number by its value
(leading zeros dropped) or, in the digits style, digit by digit.
"""

from __future__ import annotations

import re

STYLES = ("linh", "le", "digits")
MAX_NUMBER = 999_999_999

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# The names of the letters as they are spelled out in the North (a site that reads them
# otherwise records its own clips: docs/voice-pack.md). Multi-syllable names are several words.
LETTERS: dict[str, tuple[str, ...]] = {
    "A": ("a",),
    "B": ("bê",),
    "C": ("xê",),
    "D": ("dê",),
    "E": ("e",),
    "F": ("ép",),
    "G": ("giê",),
    "H": ("hát",),
    "I": ("i",),
    "J": ("gi",),
    "K": ("ca",),
    "L": ("e", "lờ"),
    "M": ("em", "mờ"),
    "N": ("en", "nờ"),
    "O": ("o",),
    "P": ("pê",),
    "Q": ("quy",),
    "R": ("e", "rờ"),
    "S": ("ét", "xì"),
    "T": ("tê",),
    "U": ("u",),
    "V": ("vê",),
    "W": ("vê", "kép"),
    "X": ("ích", "xì"),
    "Y": ("i", "dài"),
    "Z": ("dét",),
}

_LABEL = re.compile(r"([A-Za-z]*)([0-9]+)")
_SCALES = ((1_000_000, "triệu"), (1_000, "nghìn"))


def number_words(number: int, style: str = "linh") -> tuple[str, ...]:
    """The words of `number` (0..MAX_NUMBER) in `style`; digits style reads its decimal digits."""
    _check_style(style)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= MAX_NUMBER:
        raise ValueError(f"a number from 0 to {MAX_NUMBER} is read, not {number!r}")
    if style == "digits":
        return digit_words(str(number))
    if number == 0:
        return (DIGITS[0],)
    zero_tens = "lẻ" if style == "le" else "linh"
    words: list[str] = []
    rest = number
    for scale, name in _SCALES:
        group, rest = divmod(rest, scale)
        if group:
            words += _group(group, zero_tens, full=bool(words))
            words.append(name)
    if rest:
        words += _group(rest, zero_tens, full=bool(words))
    return tuple(words)


def digit_words(digits: str) -> tuple[str, ...]:
    """Each digit of a string of digits by its name: "0012" = "không không một hai"."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"only digits 0-9 are read digit by digit, not {digits!r}")
    return tuple(DIGITS[int(d)] for d in digits)


def letter_words(letters: str) -> tuple[str, ...]:
    """The Vietnamese names of the letters A-Z (either case), one after the other."""
    words: list[str] = []
    for letter in letters:
        if letter.upper() not in LETTERS:
            raise ValueError(f"only the letters A-Z have names here, not {letter!r}")
        words += LETTERS[letter.upper()]
    return tuple(words)


def label_words(label: str, style: str = "linh") -> tuple[str, ...]:
    """A ticket label ("1023", "A012") as words: letters by name, then the number."""
    _check_style(style)
    match = _LABEL.fullmatch(label.strip())
    if match is None:
        raise ValueError(f"a ticket label is letters A-Z then digits, not {label!r}")
    letters, digits = match.groups()
    number = digit_words(digits) if style == "digits" else number_words(int(digits), style)
    return letter_words(letters) + number


def _group(number: int, zero_tens: str, *, full: bool) -> list[str]:
    """1..999; `full`: a higher group was read, so a zero hundreds is said ("không trăm")."""
    hundreds, below = divmod(number, 100)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if below == 0:
        return words
    tens, units = divmod(below, 10)
    if tens == 0:
        return [*words, zero_tens, DIGITS[units]] if words else [DIGITS[units]]
    if tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
        return words
    words += [DIGITS[tens], "mươi"]
    if units:
        words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")


def vocabulary(style: str = "linh") -> tuple[str, ...]:
    """Every word `number_words` and `label_words` may say in `style`, in a stable order: the
    list of number clips a voice pack needs (docs/voice-pack.md)."""
    _check_style(style)
    words = list(DIGITS)
    if style != "digits":
        words += ["mười", "mươi", "mốt", "tư", "lăm", "trăm", "lẻ" if style == "le" else "linh"]
        words += [name for _, name in reversed(_SCALES)]
    for names in LETTERS.values():
        words += names
    return tuple(dict.fromkeys(words))
