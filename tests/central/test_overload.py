"""Many devices draining their outboxes at once: the server sheds what it cannot answer in time
(503 with Retry-After) and loses nothing; its connections stay within the pool it was given,
and two server processes share one database."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from central.schema import events
from common.office_clock import aware_now, default_rule
from tests.support.api import Api, Events
from tests.support.central import enroll_device, query, running_central_process

DEVICES = 30
BATCH = 50


async def drain(url: str, tokens: list[str], batches: list[list[dict]]) -> list[int]:
    """Every device posts its batch at once, and again after Retry-After until it is taken;
    returns the status of every answer."""
    statuses: list[int] = []

    async def device(client: httpx.AsyncClient, token: str, batch: list[dict]) -> None:
        while True:
            reply = await client.post(
                "/api/v1/events",
                json={"events": batch},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(reply.status_code)
            if reply.status_code == 200:
                assert all(r["status"] == "accepted" for r in reply.json()["results"])
                return
            assert reply.status_code == 503, reply.text
            wait = int(reply.headers["Retry-After"])
            assert 1 <= wait <= 10
            await asyncio.sleep(wait / 10)  # the test does not need to wait as long

    limits = httpx.Limits(max_connections=DEVICES)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(device(client, t, b) for t, b in zip(tokens, batches, strict=True)))
    return statuses


def test_a_burst_is_shed_with_retry_after_and_nothing_is_lost(
    database_url: str, office: str, tmp_path: Path
) -> None:
    make = Events(office)
    tokens, batches = [], []
    for n in range(DEVICES):
        device = f"lobby-{n:02d}"
        tokens.append(enroll_device(database_url, office, "lobby", device))
        batches.append(
            [make.issued(f"{1000 + n * BATCH + i}", device_id=device) for i in range(BATCH)]
        )
    options = ("--pool-size", "2", "--max-batches", "1")
    with running_central_process(database_url, tmp_path / "serve.log", options=options) as url:
        statuses = asyncio.run(drain(url, tokens, batches))
    assert statuses.count(200) == DEVICES
    assert statuses.count(503) > 0  # one batch at a time: the burst had to be shed
    stored = query(
        database_url, select(func.count()).select_from(events).where(events.c.office == office)
    )
    assert stored == [(DEVICES * BATCH,)]


def test_two_server_processes_share_one_database(
    database_url: str, office: str, tmp_path: Path
) -> None:
    """A city runs several processes behind a load balancer: call-next on both at once never
    gives one ticket to two counters, and each keeps to its pool."""
    make = Events(office)
    lobby_token = enroll_device(database_url, office, "lobby", "lobby-01")
    counters = {
        n: enroll_device(database_url, office, "counter", f"counter-{n:02d}", counter=n)
        for n in (1, 2)
    }
    # The processes run on the real clock (the module's server on the test clock).
    moment = aware_now()
    day = default_rule().day_of(moment)
    tickets = [make.issued(f"{1001 + i}", issued_at=moment, day=day) for i in range(40)]
    options = ("--pool-size", "3")
    with (
        running_central_process(database_url, tmp_path / "a.log", options=options) as first,
        running_central_process(database_url, tmp_path / "b.log", options=options) as second,
    ):
        with Api(first, lobby_token, office=office) as lobby:
            assert all(r["status"] == "accepted" for r in lobby.results(tickets))
        called: dict[int, list[str]] = {1: [], 2: []}

        def call_all(number: int, url: str) -> None:
            with Api(url, counters[number], office=office) as api:
                while (reply := api.call_next(number, ["ho-tich"])).status_code == 200:
                    called[number].append(reply.json()["label"])
                assert reply.status_code == 204

        workers = [
            threading.Thread(target=call_all, args=(1, first)),
            threading.Thread(target=call_all, args=(2, second)),
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        if database_url.startswith("postgresql"):
            (connections,) = query(
                database_url,
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"),
            )[0]
            # Two pools at most full, each process's calls listener, and this query.
            assert connections <= 2 * (3 + 3 + 1) + 1
    labels = called[1] + called[2]
    assert sorted(labels) == sorted(t["data"]["label"] for t in tickets)
    assert len(set(labels)) == len(labels)
