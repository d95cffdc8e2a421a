"""Monitoring from afar, end to end: a running lobby's printer runs out of paper, its health
report reaches the real central server, and the fleet (JSON, page, /metrics) says so; once the
lobby stops, it turns silent when the server's clock passes silent_after."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from common.office_clock import aware_now
from kiosk.device_health import HEALTH_FILE
from tests.support.central import CentralServer, running_central, viewer_token
from tests.support.clocks import RunningClock
from tests.support.device import OFFICE, enrol
from tests.support.ui import lobby_config, pump, running_lobby

HEALTH = "[health]\nreport_interval = 10\nchange_gap = 0.2\n"
LABELS = f'{{office="{OFFICE}",device="lobby-01",role="lobby"}}'


def every(seconds: float, check: Callable[[], bool]) -> Callable[[], bool]:
    """`check`, run at most every `seconds` while the UI frames go on (one HTTP request per
    frame would only load the server)."""
    last = [0.0]

    def throttled() -> bool:
        if time.monotonic() - last[0] < seconds:
            return False
        last[0] = time.monotonic()
        return check()

    return throttled


def test_a_lobby_out_of_paper_shows_on_the_fleet_and_turns_silent_when_it_stops(tmp_path):
    clock = RunningClock(aware_now())
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central(database_url, clock=clock) as url:
        central = CentralServer(url, database_url)
        config = lobby_config(tmp_path, HEALTH)
        enrol(config, central)
        token = viewer_token(database_url, OFFICE)
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as viewer:

            def lobby_on_the_fleet() -> dict:
                devices = viewer.get(f"/api/v1/offices/{OFFICE}/fleet").json()["devices"]
                return next(device for device in devices if device["device_id"] == "lobby-01")

            with running_lobby(tmp_path, config=config) as (app, printer):
                assert pump(
                    every(
                        0.1,
                        lambda: (lobby_on_the_fleet()["health"] or {}).get("printer") == "ready",
                    ),
                    timeout=15,
                )
                printer.paper_out = True
                assert pump(
                    every(0.1, lambda: lobby_on_the_fleet()["health"]["printer"] == "paper_out"),
                    timeout=15,
                )
                assert app.health.latest().printer == "paper_out"
                kept = json.loads((config.device.data_dir / HEALTH_FILE).read_text("utf-8"))
                assert kept["printer"] == "paper_out"

            device = lobby_on_the_fleet()
            assert [problem["code"] for problem in device["problems"]] == ["printer_paper_out"]
            assert device["silent"] is False
            page = viewer.get(f"/api/v1/offices/{OFFICE}/fleet/page").text
            assert "Máy in hết giấy" in page and "Printer out of paper" in page
            metrics = viewer.get("/metrics").text.splitlines()
            assert f"kiosk_printer_paper_out{LABELS} 1" in metrics
            assert f"kiosk_device_up{LABELS} 1" in metrics

            # The lobby is off now: no more reports. Ten minutes and a bit later it is silent.
            clock.set(clock() + timedelta(minutes=10, seconds=5))
            device = lobby_on_the_fleet()
            assert device["silent"] is True
            assert device["problems"][0]["vi"] == "Mất liên lạc 10 phút"
            assert f"kiosk_device_up{LABELS} 0" in viewer.get("/metrics").text.splitlines()
            assert 'class="silent"' in viewer.get(f"/api/v1/offices/{OFFICE}/fleet/page").text

        with httpx.Client(base_url=url, timeout=10) as stranger:
            wrong = {"Authorization": "Bearer not-a-token"}
            assert stranger.get(f"/api/v1/offices/{OFFICE}/fleet", headers=wrong).status_code == 401
            assert stranger.get("/metrics", headers=wrong).status_code == 401
            elsewhere = {"Authorization": f"Bearer {viewer_token(database_url, '00999')}"}
            answer = stranger.get(f"/api/v1/offices/{OFFICE}/fleet", headers=elsewhere)
            assert answer.status_code == 403
            assert OFFICE not in stranger.get("/metrics", headers=elsewhere).text
