"""`kiosk scan-test`: what the scanner reads and how it parses, shown masked, for technicians.

Each line read is shown as the parser sees it: the ID masked, the name as initials, the birth
date and the warnings; or the rejection's code and the sentence the citizen would see; then what
the scanner wrapped around the code, as [scanner] envelope, prefix and trailer take it off.
"""

from __future__ import annotations

import queue

from devices.scanner import SerialScanner, Suffix
from devices.scanner_envelope import AUTO, EnvelopeSettings, unwrap
from kiosk.citizen_id import InvalidCitizenQR, parse
from kiosk.scan_reading import envelope_words


def initials(name: str) -> str:
    """The name as initials: "Nguyễn Văn Mẫu" -> "N. V. M."."""
    return " ".join(f"{part[0].upper()}." for part in name.split())


def describe(line: bytes, envelope: EnvelopeSettings = AUTO) -> str:
    """One line of output for one scan, with nothing personal in clear."""
    read = unwrap(line, envelope)
    around = f"; around it: {envelope_words(read.parts, str)}" if read.parts else ""
    try:
        card = parse(read.payload)
    except InvalidCitizenQR as error:
        return f"rejected ({error.code}): {error.reason}{around}"
    warnings = ", ".join(card.warnings) or "none"
    return (
        f"ID {card.masked_id}, name {initials(card.name)}, birth {card.birth},"
        f" warnings: {warnings}{around}"
    )


def run_scan_test(
    url: str, *, suffix: Suffix, envelope: EnvelopeSettings, count: int | None
) -> int:
    """Print each line the scanner at `url` reads until `count` lines (or Ctrl-C)."""
    lines: queue.Queue[bytes] = queue.Queue()
    scanner = SerialScanner(
        url,
        suffix=suffix,
        on_line=lines.put,
        on_state=lambda state: print(f"Scanner {url}: {state}", flush=True),
    )
    until = "Ctrl-C" if count is None else f"{count} scans or Ctrl-C"
    print(f"Reading QR codes from {url} (line end: {suffix}) until {until}.", flush=True)
    scanner.start()
    seen = 0
    try:
        while count is None or seen < count:
            try:
                line = lines.get(timeout=0.5)  # a bounded wait, so Ctrl-C is seen at once
            except queue.Empty:
                continue
            seen += 1
            print(f"{seen}: {describe(line, envelope)}", flush=True)
    finally:
        scanner.stop()
        if scanner.overlong_lines:
            print(f"{scanner.overlong_lines} over-long lines were dropped (faulty scanner?).")
    return 0
