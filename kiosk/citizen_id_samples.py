"""Synthetic citizen ID QR cases in the project's sample format, read into objects.

The demo's cards (config/demo/id_cards.txt, shipped) are read by the demo's virtual scanner
(F10) and `python -m kiosk.citizen_id_sample_scanner`; the tests and bench read the project's
shared cases with the same reader. The file's own header describes its format: blocks of
`key: value` lines, one case per block, with escapes in the payload (\\r \\n \\t and \\xHH
for a raw byte).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.paths import SHIPPED_CONFIG_DIR

DEMO_CARDS = SHIPPED_CONFIG_DIR / "demo" / "id_cards.txt"

EXPECTATIONS = ("ok", "warn", "reject", "ok-or-reject")

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)")
_SIMPLE_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t"}


@dataclass(frozen=True)
class Sample:
    """One case: the payload as the scanner delivers it, and the fields a parser must return."""

    case: str
    expect: str
    payload: bytes
    fields: dict[str, str] = field(default_factory=dict)


def load_samples(path: Path = DEMO_CARDS) -> list[Sample]:
    """Every case of the file, in order; ValueError names the line of a malformed one."""
    samples: list[Sample] = []
    block: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                samples.append(_sample(block, path, number))
                block = {}
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{path}:{number}: expected 'key: value'")
        block[key.strip()] = value.removeprefix(" ")
    return samples


def _sample(block: dict[str, str], path: Path, number: int) -> Sample:
    where = f"{path}: the case ending before line {number}"
    try:
        case, expect, payload = block.pop("case"), block.pop("expect"), block.pop("payload")
    except KeyError as missing:
        raise ValueError(f"{where} has no {missing} line") from None
    if expect not in EXPECTATIONS:
        raise ValueError(f"{where} expects {expect!r}, not one of {', '.join(EXPECTATIONS)}")
    return Sample(case, expect, unescape(payload, where), block)


def unescape(text: str, where: str = "payload") -> bytes:
    """The bytes a payload line stands for: UTF-8 text with \\r \\n \\t and \\xHH escapes."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        out += text[position : match.start()].encode("utf-8")
        escape = match.group(1)
        if escape[0] == "x" and len(escape) == 3:
            out.append(int(escape[1:], 16))
        elif escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape]
        else:
            raise ValueError(f"{where}: unknown escape \\{escape}")
        position = match.end()
    out += text[position:].encode("utf-8")
    return bytes(out)
