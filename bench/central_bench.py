"""Central server ingest figures, each beside its baseline from the same run. JSON lines.

    .venv/bin/python bench/central_bench.py [--devices 200] [--seconds 6]

A real `kiosk-central serve` process on a fresh SQLite file; every simulated device is enrolled
and posts its own events (asyncio + httpx, a connection per device):
- ingest events/s: all devices post batches of 50 back to back (the server saturated), against
  the same devices posting one event per request;
- p99 request latency: all devices post a batch of 10 every 2 s, each at its own phase (1,000
  events/s offered: the throughput target), against one device posting alone.

Targets: a city of 126 offices has about 1,300 devices, each sending well under 0.2 events/s at
the busiest hour (a ticket is 2-3 events, a counter session 4): some 250 events/s, so the server
should take 1,000 events/s, and answer a batch at that load well within the devices' 10 s
timeout (1 s at p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from central.db import Database  # noqa: E402
from central.enrolment import create_code, enroll  # noqa: E402
from tests.support.central import running_central_process  # noqa: E402

OFFICE = "00637"
EVENTS_PER_S_TARGET = 1000.0
P99_TARGET_MS = 1000.0
SATURATING_BATCH = 50
PACED_BATCH = 10
PACED_PERIOD_S = 2.0


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


@dataclass
class Run:
    events: int
    seconds: float
    latencies_ms: list[float]
    retries: int = 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]


def enroll_devices(database_url: str, count: int) -> dict[str, str]:
    """device id → token, straight through the server's own enrolment code."""
    db = Database(database_url)
    db.create_schema()
    tokens = {}
    try:
        for number in range(count):
            device_id = f"lobby-{number:03d}"
            now = datetime.now(UTC)
            code = create_code(db, office=OFFICE, role="lobby", device_id=device_id, now=now)
            credentials = enroll(
                db, code=code.code, device_id=device_id, role="lobby", version="bench", now=now
            )
            tokens[device_id] = credentials.token
    finally:
        db.dispose()
    return tokens


def ticket_event(device_id: str, number: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="milliseconds")
    return {
        "id": str(uuid.uuid4()),
        "type": "ticket.issued",
        "occurred_at": stamp,
        "office": OFFICE,
        "device_id": device_id,
        "schema": 1,
        "data": {
            "ticket_id": str(uuid.uuid4()),
            "day": now.date().isoformat(),
            "field_id": "ho-tich",
            "number": number % 10000,
            "label": f"{number % 10000:04d}",
            "priority": number % 10 == 0,
            "waiting_ahead": 0,
            "issued_at": stamp,
        },
    }


async def post_until_answered(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], run: Run
) -> httpx.Response:
    """Like a device: a connection closed under the request (a keep-alive race) is retried, and
    a batch the server sheds (503) is sent again after Retry-After."""
    while True:
        try:
            response = await http.post("/api/v1/events", json=body, headers=headers)
        except httpx.TransportError:
            run.retries += 1
            continue
        if response.status_code != 503:
            return response
        run.retries += 1
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


async def device(
    http: httpx.AsyncClient,
    device_id: str,
    token: str,
    run: Run,
    *,
    batch: int,
    until: float,
    period: float = 0.0,
    phase: float = 0.0,
) -> None:
    """Post batches until `until`: back to back, or one every `period` seconds from `phase`."""
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    next_at = time.monotonic() + phase
    while next_at < until:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        events = [ticket_event(device_id, sent + n) for n in range(batch)]
        started = time.perf_counter()
        response = await post_until_answered(http, {"events": events}, headers, run)
        run.latencies_ms.append(1000 * (time.perf_counter() - started))
        if response.status_code != 200:
            raise RuntimeError(f"{device_id}: HTTP {response.status_code} {response.text}")
        results = response.json()["results"]
        run.events += sum(result["status"] == "accepted" for result in results)
        sent += batch
        next_at = max(next_at + period, time.monotonic()) if period else time.monotonic()


async def load(
    base_url: str, tokens: dict[str, str], seconds: float, *, batch: int, period: float = 0.0
) -> Run:
    run = Run(0, 0.0, [])
    # A client (one connection) per device, made before the clock starts, sharing one TLS
    # context: a shared pool of 200 connections, or 200 new contexts, would be the bottleneck.
    tls = ssl.create_default_context()
    clients = {
        name: httpx.AsyncClient(base_url=base_url, verify=tls, timeout=60) for name in tokens
    }
    try:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(
                device(
                    clients[name],
                    name,
                    token,
                    run,
                    batch=batch,
                    until=until,
                    period=period,
                    phase=period * number / len(tokens),
                )
                for number, (name, token) in enumerate(tokens.items())
            )
        )
        run.seconds = time.monotonic() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=6.0, help="per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="central-bench-") as work:
        database_url = f"sqlite:///{Path(work) / 'central.db'}"
        tokens = enroll_devices(database_url, args.devices)
        one = dict(list(tokens.items())[:1])
        with running_central_process(database_url) as base_url:
            batched = asyncio.run(load(base_url, tokens, args.seconds, batch=SATURATING_BATCH))
            single = asyncio.run(load(base_url, tokens, args.seconds, batch=1))
            paced = asyncio.run(
                load(base_url, tokens, 2 * args.seconds, batch=PACED_BATCH, period=PACED_PERIOD_S)
            )
            alone = asyncio.run(load(base_url, one, args.seconds, batch=PACED_BATCH))
    retries = sum(run.retries for run in (batched, single, paced, alone))
    if retries:
        print(f"{retries} requests sent again (dropped connection or 503)", file=sys.stderr)
    emit(
        f"ingest_events_per_s_{args.devices}_devices_batch_{SATURATING_BATCH}",
        round(batched.events_per_s),
        "events/s",
        round(single.events_per_s),
        EVENTS_PER_S_TARGET,
    )
    emit(
        f"ingest_p99_latency_{args.devices}_devices_{round(paced.events_per_s)}_events_per_s",
        round(paced.p99_ms, 1),
        "ms",
        round(alone.p99_ms, 1),
        P99_TARGET_MS,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
