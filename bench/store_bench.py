"""Store size with pruning ([store] keep_days) against the same days without. One JSON object
per line.

    .venv/bin/python bench/store_bench.py [--days 90] [--per-day 200] [--keep-days 30]

Two stores live through the same `days` office days of `per_day` tickets each (issued, printed,
their events acknowledged by the server as kiosk.sync does); one is pruned at the start of every
day as the apps do, the other never. Figures: the size of each file at the end, and per 1,000
tickets issued; the target is what the kept days alone take in the unpruned store, plus 10 %.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.store import Store  # noqa: E402
from kiosk.tickets import TicketService  # noqa: E402
from tests.support.clocks import Clock  # noqa: E402
from tests.support.device import device_config  # noqa: E402

FIRST_DAY = date(2026, 1, 5)


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def live(work: Path, days: int, per_day: int, keep_days: int | None) -> tuple[int, list[int]]:
    """The file's size after `days` days (pruned daily when keep_days is given), and its size
    at the end of each day."""
    config = device_config(work)
    clock = Clock(datetime.combine(FIRST_DAY, time(8), config.office.timezone))
    sizes = []
    with Store(work / "kiosk.db", durable=False) as store:
        tickets = TicketService(store, config, bytes(32), clock)
        fields = [field.id for field in config.catalogue.fields]
        for n in range(days):
            day = FIRST_DAY + timedelta(days=n)
            clock.now = datetime.combine(day, time(8), config.office.timezone)
            if keep_days is not None:
                store.prune(day - timedelta(days=keep_days))
            for i in range(per_day):
                clock.now += timedelta(seconds=60)
                field = fields[i % len(fields)]
                ticket = tickets.issue(field, priority=False, request_id=str(uuid.uuid4()))
                tickets.mark_printed(ticket.id)
            while batch := store.outbox.pending():
                store.outbox.settle([event["id"] for event in batch], {})
            sizes.append(store.path.stat().st_size)
    return sizes[-1], sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--keep-days", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pruned, _ = live(Path(tmp) / "pruned", args.days, args.per_day, args.keep_days)
        unpruned, by_day = live(Path(tmp) / "unpruned", args.days, args.per_day, None)
    issued = args.days * args.per_day
    kept = args.keep_days + 1  # the kept days and today
    kept_alone = by_day[kept - 1]  # the unpruned file after as many days as are kept
    emit(
        f"store size after {args.days} days of {args.per_day} tickets (keep_days {args.keep_days})",
        round(pruned / 1024),
        "kB",
        round(unpruned / 1024),
        round(kept_alone * 1.1 / 1024),
    )
    emit(
        "store size per 1000 tickets issued",
        round(pruned / issued * 1000 / 1024, 1),
        "kB",
        round(unpruned / issued * 1000 / 1024, 1),
        round(kept_alone * 1.1 / issued * 1000 / 1024, 1),
    )


if __name__ == "__main__":
    main()
