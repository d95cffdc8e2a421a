"""The kill-mid-print loop of issue 12 (tests/support/print_kills.py) at 30 kills, half of them
power cuts of the host, each figure beside the one the issue reported before the driver
resynchronised on open and print outcomes were recorded. One JSON object per line.

    .venv/bin/python bench/print_kill_bench.py [--kills 30] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.print_kills import kill_mid_print  # noqa: E402

# The issue's figures for 30 kills.
ISSUE = {"not_ready": 7, "failed": 18, "twice": 3, "never_printed": 68}


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = kill_mid_print(Path(tmp), args.kills, args.seed)
    print(run.summary(), file=sys.stderr)
    statuses = run.statuses
    figures = (
        ("restarts with the printer not ready", len(run.not_ready), "restarts", "not_ready"),
        ("tickets whose print failed", statuses["failed"], "tickets", "failed"),
        ("tickets on paper twice", len(run.twice_on_paper), "tickets", "twice"),
        (
            "tickets neither printed nor listed for the technician",
            len(run.printed_not_on_paper) + statuses["pending"],
            "tickets",
            "never_printed",
        ),
    )
    for metric, value, unit, before in figures:
        emit(metric, value, unit, ISSUE[before], 0)
    # At most the one job in progress at each kill: listed, "ask the citizen before reprinting".
    emit("tickets of unknown outcome", statuses["unknown"], "tickets", 0, args.kills)


if __name__ == "__main__":
    main()
