"""The example Prometheus files (install/central/): the alert rules are valid and fire when they
should, the scrape configuration is valid and, pointed at a real server, scrapes the fleet with
the monitor token; checked with promtool and Prometheus itself (Debian's `prometheus` package),
skipped where they are not installed."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from central.db import Database
from central.enrolment import create_monitor_token
from common.office_clock import aware_now
from tests.central.test_fleet import report
from tests.support.central import enroll_device, running_central
from tests.support.ports import free_port

HERE = Path(__file__).resolve().parent
INSTALL = HERE.parent.parent / "install" / "central"
RULES = INSTALL / "prometheus-alerts.yml"
SCRAPE = INSTALL / "prometheus.yml"
PROMTOOL = shutil.which("promtool")

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)"
)


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args],
        cwd=HERE,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_promtool
def test_the_alert_rules_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_out_of_paper_and_silent_alerts_fire_after_their_delay() -> None:
    tested = promtool("test", "rules", "prometheus-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


@needs_promtool
def test_the_example_scrape_configuration_is_valid(tmp_path: Path) -> None:
    token = tmp_path / "kiosk-central.token"
    token.write_text("a-monitor-token\n", encoding="utf-8")
    config = SCRAPE.read_text(encoding="utf-8")
    assert "credentials_file: /etc/prometheus/kiosk-central.token" in config
    config = config.replace("/etc/prometheus/kiosk-central.token", str(token))
    config = config.replace("- prometheus-alerts.yml", f"- {RULES}")
    copy = tmp_path / "prometheus.yml"
    copy.write_text(config, encoding="utf-8")
    checked = promtool("check", "config", str(copy))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed")
def test_prometheus_scrapes_the_fleet_with_the_monitor_token(tmp_path: Path) -> None:
    """The shipped scrape configuration, pointed at a real server: Prometheus sends the token
    from its credentials file and stores the gauges."""
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central(database_url) as url:
        device = enroll_device(database_url, "00637", "lobby", "lobby-01")
        body = report("00637", "lobby-01", aware_now(), printer="paper_out")
        headers = {"Authorization": f"Bearer {device}"}
        assert httpx.post(f"{url}/api/v1/devices/health", json=body, headers=headers).is_success
        token = tmp_path / "kiosk-central.token"
        token.write_text(monitor_token_of(database_url) + "\n", encoding="utf-8")
        config = SCRAPE.read_text(encoding="utf-8")
        for shipped, here in (
            ("scrape_interval: 1m", "scrape_interval: 1s"),
            ("scheme: https", "scheme: http"),
            ("/etc/prometheus/kiosk-central.token", str(token)),
            ('"kiosk.example.gov.vn"', f'"{url.removeprefix("http://")}"'),
            ("- prometheus-alerts.yml", f"- {RULES}"),
        ):
            assert shipped in config
            config = config.replace(shipped, here)
        (tmp_path / "prometheus.yml").write_text(config, encoding="utf-8")
        port = free_port()
        command = [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as prometheus:
            try:
                query = f"http://127.0.0.1:{port}/api/v1/query"
                labels = {"office": "00637", "device": "lobby-01", "role": "lobby"}
                assert eventually(lambda: scraped(query, "kiosk_printer_paper_out") == labels)
                assert scraped(query, 'up{job="kiosk-central"} == 1') is not None
            finally:
                prometheus.terminate()
                prometheus.wait(10)


def monitor_token_of(database_url: str) -> str:
    db = Database(database_url)
    try:
        return create_monitor_token(db, now=aware_now()).token
    finally:
        db.dispose()


def scraped(query_url: str, expression: str) -> dict[str, str] | None:
    """The labels (less job and instance) of the first sample of `expression` with value 1, or
    None (nothing scraped yet, or Prometheus not answering yet)."""
    try:
        answer = httpx.get(query_url, params={"query": expression}, timeout=2).json()
    except (httpx.TransportError, ValueError):
        return None
    for sample in answer.get("data", {}).get("result", []):
        if sample["value"][1] == "1":
            labels = dict(sample["metric"])
            for name in ("__name__", "job", "instance"):
                labels.pop(name, None)
            return labels
    return None


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False
