"""Speech synthesis time per hall announcement, beside espeak-ng reading the raw text with its
digits in the same run. One JSON object per line.

    .venv/bin/python bench/speech_bench.py [--rounds 20]

- median and p95 ms to make one announcement ready to play (chime + "Mời công dân có số … đến
  quầy số …", a different number each time, no cache, scaled to the volume) with espeak-ng
  alone, fed our number words;
- the same with a complete voice pack (generated tones for every phrase a call may say, so no
  espeak-ng call at all), and with a pack of the fixed phrases only (espeak-ng says the
  numbers: the usual first step of a site);
- baseline: one espeak-ng call on the raw sentence with digits ("… có số 1023 đến quầy số 2"),
  the least any espeak-ng announcement costs.

Target: 500 ms, so that with the queue's pipeline a call is heard well within 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from devices import pcm  # noqa: E402
from devices.speech import EspeakEngine, Synthesizer, VoicePack, clip_name  # noqa: E402
from kiosk.announcement_text import Wording  # noqa: E402

TARGET_MS = 500.0
VOLUME = 90  # the shipped volume: scaling the samples is part of making a clip ready to play
TEMPLATE = "Mời công dân có số {number} đến quầy số {counter}"


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def timings_ms(work: Callable[[int], object], rounds: int) -> list[float]:
    out = []
    for index in range(rounds):
        started = time.perf_counter()
        work(index)
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def write_pack(folder: Path, phrases: list[tuple[str, ...]]) -> VoicePack:
    """Tones of a syllable's length per word, as a site's recordings would be."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, phrase in enumerate(phrases):
        tone = pcm.tone([(300 + 10 * index, 0.28 * len(phrase))])
        (folder / f"{clip_name(phrase)}.wav").write_bytes(tone.to_wav())
    return VoicePack(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="announcements per figure")
    args = parser.parse_args()
    engine = EspeakEngine(rate=140)
    wording = Wording(TEMPLATE)

    def raw_digits(index: int) -> None:
        engine.synthesize(f"Mời công dân có số {1000 + index} đến quầy số {1 + index % 9}", "vi")

    def announce_with(synthesizer: Synthesizer) -> Callable[[int], object]:
        def work(index: int) -> object:
            parts = wording.parts(str(1000 + index), 1 + index % 9)
            return pcm.scaled(synthesizer.render(parts, chime=True).sound, VOLUME)

        return work

    raw_digits(0)  # warm the page cache: the first espeak-ng start reads its voice data
    baseline = timings_ms(raw_digits, args.rounds)
    base_median = round(statistics.median(baseline), 1)
    phrases = list(wording.phrases())
    with tempfile.TemporaryDirectory() as tmp:
        full_pack = write_pack(Path(tmp) / "full", phrases)
        fixed_pack = write_pack(Path(tmp) / "fixed", [p for p in phrases if len(p) > 1])
        cases = {
            "espeak_ng": Synthesizer(engine),
            "voice_pack_complete": Synthesizer(engine, full_pack),
            "voice_pack_fixed_phrases": Synthesizer(engine, fixed_pack),
        }
        for name, synthesizer in cases.items():
            work = announce_with(synthesizer)
            work(0)  # read the pack's clips once, as the running display has
            values = timings_ms(work, args.rounds)
            emit(
                f"speech_synthesis_ms_median_{name}",
                round(statistics.median(values), 1),
                "ms",
                base_median,
                TARGET_MS,
            )
            emit(
                f"speech_synthesis_ms_p95_{name}",
                round(p95(values), 1),
                "ms",
                round(p95(baseline), 1),
                TARGET_MS,
            )


if __name__ == "__main__":
    main()
