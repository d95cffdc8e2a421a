"""Sync figures, each beside its baseline from the same run. One JSON object per line.

    .venv/bin/python bench/sync_bench.py [--events 10000] [--single 1000]

- events/s drained by the sync worker from a 10,000-event outbox to the real central server
  (`python -m central serve`, SQLite, on 127.0.0.1) in batches of 500, against the same worker
  sending one event per request (timed on the first 1,000 events: the whole outbox would take
  too long), and the speed-up between the two;
- the time to commit one event durably (one transaction, synchronous=FULL), median and p99,
  against the same insert with synchronous=OFF (no fsync: what durability costs).

Bounded to well under 90 s on a laptop.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.enrolment import CentralLink  # noqa: E402
from kiosk.personal_data import open_personal_data  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.sync import SyncWorker  # noqa: E402
from tests.support.central import CentralProcess  # noqa: E402
from tests.support.device import device_config, enrol  # noqa: E402
from tests.support.events import ticket_events  # noqa: E402
from tests.support.sync import StatusRecorder  # noqa: E402

INSERTS = 2000


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def drain_rate(work: Path, central: CentralProcess, events: int, batch_size: int) -> float:
    """Events per second the sync worker delivers from a full outbox."""
    config = device_config(work)
    enrol(config, central)
    store = Store(config.device.data_dir / "kiosk.db")
    store.outbox.add(ticket_events(events))
    status = StatusRecorder()
    worker = SyncWorker(
        store,
        CentralLink(config),
        personal=open_personal_data(store, config.device.data_dir, config.office),
        batch_size=batch_size,
        max_backoff=1,
        on_status=status,
    )
    started = time.perf_counter()
    worker.start()
    status.wait_for(lambda s: s.pending == 0, timeout=120)
    elapsed = time.perf_counter() - started
    worker.stop(timeout=10)
    store.close()
    return events / elapsed


def sync_throughput(work: Path, events: int, single: int) -> None:
    with CentralProcess.in_folder(work / "central") as central:
        (work / "central").mkdir(exist_ok=True)
        central.start()
        batched = drain_rate(work / "batched", central, events, 500)
        one_by_one = drain_rate(work / "single", central, single, 1)
    emit("sync_drain_batched", round(batched), "events/s", round(one_by_one), 2000)
    emit("sync_batching_speedup", round(batched / one_by_one, 1), "x", 1, 10)


def insert_times(path: Path, *, durable: bool) -> list[float]:
    """Milliseconds to commit each of INSERTS events, one per transaction."""
    # The baseline (not durable): the very same insert path without waiting for the disk.
    store = Store(path, durable=durable)
    times = []
    for event in ticket_events(INSERTS):
        started = time.perf_counter()
        store.outbox.add([event])
        times.append((time.perf_counter() - started) * 1000)
    store.close()
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def insert_latency(work: Path) -> None:
    full = insert_times(work / "full.db", durable=True)
    off = insert_times(work / "off.db", durable=False)
    median = statistics.median
    emit("outbox_insert_median", round(median(full), 3), "ms", round(median(off), 3), 5)
    emit("outbox_insert_p99", round(p99(full), 3), "ms", round(p99(off), 3), 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000, help="outbox size to drain")
    parser.add_argument("--single", type=int, default=1000, help="events sent one by one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as folder:
        work = Path(folder)
        sync_throughput(work, args.events, args.single)
        insert_latency(work)


if __name__ == "__main__":
    main()
