"""Fleet monitoring figures for a city, each beside its baseline from the same run. JSON lines.

    .venv/bin/python bench/fleet_bench.py [--offices 126] [--devices-per-office 10] [--requests 20]

A real `kiosk-central serve` process on a fresh SQLite file; every device of every office is
enrolled and reports its health once (kiosk.device_health's body), then:
- a health report's latency (p95) while 50 devices report at once, against `GET /api/v1/health`
  (no database work) at the same concurrency;
- the city's fleet (`GET /api/v1/fleet`, every office) and Prometheus' scrape (`GET /metrics`)
  with the monitor token (p95 of `--requests`), against one office's fleet.

Targets: a report well within the devices' 10 s timeout (200 ms at p95: 1,300 devices every
5 min is 4.3 reports/s); the city's fleet and a scrape within 2 s (Prometheus' default scrape
timeout is 10 s, its interval a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from central.db import Database  # noqa: E402
from central.enrolment import create_code, create_monitor_token, enroll  # noqa: E402
from common.office_clock import aware_now  # noqa: E402
from tests.support.central import running_central_process  # noqa: E402

ROLES = ("lobby", "counter", "display")
REPORT_P95_TARGET_MS = 200.0
FLEET_P95_TARGET_MS = 2000.0
CONCURRENT = 50


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20, method="inclusive")[18], 1)


def enroll_city(database_url: str, offices: int, per_office: int) -> tuple[dict, str]:
    """(office, device id, role) → token for every device, and a monitor token."""
    db = Database(database_url)
    db.create_schema()
    tokens = {}
    now = aware_now()
    try:
        for office_number in range(offices):
            office = f"{637 + office_number:05d}"
            for number in range(per_office):
                role = ROLES[number % len(ROLES)]
                device_id = f"{role}-{number:02d}"
                counter = number + 1 if role == "counter" else None
                code = create_code(
                    db, office=office, role=role, device_id=device_id, counter=counter, now=now
                )
                credentials = enroll(
                    db, code=code.code, device_id=device_id, role=role, version="bench", now=now
                )
                tokens[(office, device_id, role)] = credentials.token
        monitor = create_monitor_token(db, now=now).token
    finally:
        db.dispose()
    return tokens, monitor


def report(office: str, device_id: str, role: str, number: int) -> dict[str, Any]:
    now = aware_now().isoformat()
    return {
        "device_id": device_id,
        "role": role,
        "office": office,
        "version": "0.1.0",
        "observed_at": now,
        "started_at": now,
        "uptime_seconds": 60.0 + number,
        "printer": "paper_out" if role == "lobby" and number % 7 == 0 else "ready",
        "scanner": "connected" if role != "display" else None,
        "outbox": {"pending": number % 5, "quarantined": 0, "oldest_at": None},
        "sync": {"state": "online", "last_success_at": now},
        "clock_offset_seconds": 0.4,
        "disk": {"free_bytes": 12 * 2**30, "total_bytes": 32 * 2**30},
        "storage": "ok",
        "last_error": None,
        "recent_errors": [],
    }


async def timed(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> float:
    """The request's latency in ms; like a device, a connection closed under it (a keep-alive
    race) is tried again, and the time counts from the first try."""
    started = time.perf_counter()
    for attempt in range(3):
        try:
            response = await http.request(method, path, **kwargs)
            break
        except httpx.TransportError:
            if attempt == 2:
                raise
    elapsed = 1000 * (time.perf_counter() - started)
    if response.status_code != 200:
        raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
    return elapsed


async def in_waves(calls: list, concurrent: int) -> list[float]:
    """Run the coroutine factories `concurrent` at a time; their latencies."""
    latencies: list[float] = []
    for start in range(0, len(calls), concurrent):
        latencies += await asyncio.gather(*(call() for call in calls[start : start + concurrent]))
    return latencies


async def measure(base_url: str, tokens: dict, monitor: str, requests: int) -> None:
    limits = httpx.Limits(max_connections=CONCURRENT)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        devices = list(tokens.items())

        def reporter(key: tuple[str, str, str], token: str, number: int):
            body = report(*key, number)
            headers = {"Authorization": f"Bearer {token}"}
            return lambda: timed(http, "POST", "/api/v1/devices/health", json=body, headers=headers)

        # Every device once (the fleet has its latest state), then the measured round.
        await in_waves([reporter(k, t, n) for n, (k, t) in enumerate(devices)], CONCURRENT)
        reports = await in_waves(
            [reporter(k, t, n + 1) for n, (k, t) in enumerate(devices)], CONCURRENT
        )
        liveness = await in_waves(
            [lambda: timed(http, "GET", "/api/v1/health") for _ in devices], CONCURRENT
        )
        emit(
            f"health report latency p95 ({CONCURRENT} devices at once, {len(devices)} devices)",
            p95(reports),
            "ms",
            p95(liveness),
            REPORT_P95_TARGET_MS,
        )
        auth = {"Authorization": f"Bearer {monitor}"}
        office = devices[0][0][0]
        one = [
            await timed(http, "GET", f"/api/v1/offices/{office}/fleet", headers=auth)
            for _ in range(requests)
        ]
        city = [await timed(http, "GET", "/api/v1/fleet", headers=auth) for _ in range(requests)]
        scrape = [await timed(http, "GET", "/metrics", headers=auth) for _ in range(requests)]
        emit(
            f"city fleet JSON p95 ({len(devices)} devices)",
            p95(city),
            "ms",
            p95(one),
            FLEET_P95_TARGET_MS,
        )
        emit(
            f"/metrics scrape p95 ({len(devices)} devices)",
            p95(scrape),
            "ms",
            p95(one),
            FLEET_P95_TARGET_MS,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=126)
    parser.add_argument("--devices-per-office", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'central.db'}"
        tokens, monitor = enroll_city(database_url, args.offices, args.devices_per_office)
        with running_central_process(database_url) as url:
            asyncio.run(measure(url, tokens, monitor, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
