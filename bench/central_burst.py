"""The burst after a city-wide outage: every device drains its outbox at once. JSON lines.

    .venv/bin/python bench/central_burst.py [--devices 1000] [--batch 50]

A real `kiosk-central serve` process on a fresh SQLite file; each simulated device (asyncio +
httpx) posts one batch of `--batch` events at the same moment, and behaves as a device does: it
gives up on an answer after 10 s and sends the batch again, and after a 503 it waits
Retry-After seconds. Measured: the p99 of every answer's time (a timed-out request counts
10 s), the time until every event is stored, and that every event is stored exactly once;
with load shedding (the default) against the same burst with shedding off (`--max-batches 0`).
Each burst is stopped after `--limit` seconds (without shedding it may never drain: every
timed-out batch is sent and processed again); the events stored by then are reported too.
Target: p99 ≤ 2 s, well within the devices' 10 s timeout, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

from central_bench import emit, enroll_devices, ticket_event  # noqa: E402

from central.db import Database  # noqa: E402
from central.schema import events as events_table  # noqa: E402
from tests.support.central import running_central_process  # noqa: E402

OFFICE = "00637"
DEVICE_TIMEOUT_S = 10.0
P99_TARGET_S = 2.0


@dataclass
class Burst:
    answers_s: list[float] = field(default_factory=list)
    timeouts: int = 0
    shed: int = 0
    seconds: float = 0.0
    stored: int = 0
    drained: bool = False

    @property
    def p99_s(self) -> float:
        return statistics.quantiles(self.answers_s, n=100, method="inclusive")[98]


def outbox(device_id: str, size: int) -> list[dict[str, Any]]:
    return [ticket_event(device_id, 1000 + n) for n in range(size)]


async def drain(http: httpx.AsyncClient, token: str, batch: list[dict], burst: Burst) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        started = time.monotonic()
        try:
            reply = await http.post("/api/v1/events", json={"events": batch}, headers=headers)
        except httpx.TimeoutException:
            burst.answers_s.append(DEVICE_TIMEOUT_S)
            burst.timeouts += 1
            await asyncio.sleep(1.0)
            continue
        except httpx.TransportError:
            await asyncio.sleep(1.0)
            continue
        burst.answers_s.append(time.monotonic() - started)
        if reply.status_code == 200:
            return
        if reply.status_code != 503:
            raise RuntimeError(f"HTTP {reply.status_code}: {reply.text}")
        burst.shed += 1
        await asyncio.sleep(float(reply.headers.get("Retry-After", "1")))


async def burst_at_once(base_url: str, tokens: dict[str, str], size: int, limit: float) -> Burst:
    """The burst, stopped after `limit` seconds if it has not drained by then (without
    shedding it may never: every timed-out batch is sent and processed again)."""
    burst = Burst()
    batches = {device: outbox(device, size) for device in tokens}
    # A client (one connection) per device, as on the devices: one shared pool of 1,000
    # connections would be the bottleneck (its bookkeeping grows with the square of them).
    clients = {
        device: httpx.AsyncClient(base_url=base_url, timeout=DEVICE_TIMEOUT_S) for device in tokens
    }
    try:
        started = time.monotonic()
        devices = [
            asyncio.ensure_future(drain(clients[device], token, batches[device], burst))
            for device, token in tokens.items()
        ]
        done, pending = await asyncio.wait(devices, timeout=limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()
        burst.seconds = time.monotonic() - started
        burst.drained = not pending
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))
    return burst


def run(devices: int, size: int, options: tuple[str, ...], limit: float) -> Burst:
    with tempfile.TemporaryDirectory(prefix="central-burst-") as work:
        database_url = f"sqlite:///{Path(work) / 'central.db'}"
        tokens = enroll_devices(database_url, devices)
        with running_central_process(database_url, options=options) as base_url:
            shown = " ".join(options) or "with shedding"
            print(f"{devices} devices enrolled; the burst, {shown}", file=sys.stderr)
            burst = asyncio.run(burst_at_once(base_url, tokens, size, limit))
        db = Database(database_url)
        try:
            burst.stored = db.read(
                lambda conn: conn.execute(select(func.count()).select_from(events_table)).scalar()
            )
        finally:
            db.dispose()
    return burst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--limit", type=float, default=180, help="seconds a burst may take")
    args = parser.parse_args()
    shedding = run(args.devices, args.batch, (), args.limit)
    unbounded = run(args.devices, args.batch, ("--max-batches", "0"), args.limit)
    expected = args.devices * args.batch
    for name, burst in (("shedding", shedding), ("no shedding", unbounded)):
        print(
            f"{name}: {burst.stored}/{expected} events stored in {burst.seconds:.1f} s"
            f"{'' if burst.drained else ' (stopped: not drained)'}, {burst.shed} answers 503,"
            f" {burst.timeouts} timed out, {len(burst.answers_s)} answers",
            file=sys.stderr,
        )
    if not shedding.drained or shedding.stored != expected:
        raise SystemExit(f"with shedding {expected - shedding.stored} events were not stored")
    label = f"{args.devices}_devices_x_{args.batch}_events"
    emit(
        f"burst_p99_answer_{label}",
        round(shedding.p99_s, 2),
        "s",
        round(unbounded.p99_s, 2),
        P99_TARGET_S,
    )
    emit(
        f"burst_drain_seconds_{label}",
        round(shedding.seconds, 1),
        "s",
        round(unbounded.seconds, 1),
        round(expected / 1000.0, 1),
    )
    emit(
        f"burst_events_stored_within_{args.limit:.0f}_s_{label}",
        shedding.stored,
        "events",
        unbounded.stored,
        expected,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
