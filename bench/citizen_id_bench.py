"""Citizen ID QR parsing speed, beside a bare split of the same payloads. One JSON object per line.

    .venv/bin/python bench/citizen_id_bench.py [--seconds 1.0]

- scans/s through the envelope's removal and the parser, every sample in an AIM id + ECI +
  CRLF envelope, against the bare parse of the same samples;
- parses/s over every payload of the shared samples (../shared/data/cccd_samples.txt), accepted
  and rejected alike, against `payload.decode().split("|")` on the same bytes (the least any
  parser must do);
- parses/s over the accepted cards only, the scanner's everyday case, against the same baseline.

Target: 50,000 parses/s, far above what a scanner can deliver, so that parsing never shows in
the UI thread's frame budget.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from devices.scanner_envelope import unwrap  # noqa: E402
from kiosk.citizen_id import InvalidCitizenQR, parse  # noqa: E402
from kiosk.citizen_id_samples import load_samples  # noqa: E402

TARGET = 50_000


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def parse_or_reject(payload: bytes) -> None:
    with contextlib.suppress(InvalidCitizenQR):
        parse(payload)


def unwrap_and_parse(payload: bytes) -> None:
    """What a scan goes through: the scanner's envelope taken off, then the card parsed."""
    parse_or_reject(unwrap(payload).payload)


def enveloped(payload: bytes) -> bytes:
    """The payload as an imager set to send the AIM id and ECI sends it (docs/scanners.md)."""
    return b"]Q2\\000026" + payload.replace(b"\\", b"\\\\") + b"\r\n"


def bare_split(payload: bytes) -> None:
    payload.decode(errors="replace").split("|")


def rate(work: Callable[[bytes], None], payloads: list[bytes], seconds: float) -> float:
    """Calls per second of `work` cycling over `payloads` for about `seconds`."""
    done = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for payload in payloads:
            work(payload)
        done += len(payloads)
    return round(done / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent on each figure")
    args = parser.parse_args()
    samples = load_samples(REPO.parent / "shared" / "data" / "cccd_samples.txt")
    every = [sample.payload for sample in samples]
    accepted = [sample.payload for sample in samples if sample.expect in ("ok", "warn")]
    for metric, payloads in (
        ("citizen_qr_parses_per_s_all_samples", every),
        ("citizen_qr_parses_per_s_accepted_cards", accepted),
    ):
        baseline = rate(bare_split, payloads, args.seconds)
        emit(metric, rate(parse_or_reject, payloads, args.seconds), "parses/s", baseline, TARGET)
    # The envelope's cost: scans in an AIM + ECI + CRLF envelope, beside the bare parse.
    wrapped = [enveloped(payload) for payload in every]
    emit(
        "citizen_qr_unwrap_and_parse_per_s_enveloped",
        rate(unwrap_and_parse, wrapped, args.seconds),
        "parses/s",
        rate(parse_or_reject, every, args.seconds),
        TARGET,
    )


if __name__ == "__main__":
    main()
