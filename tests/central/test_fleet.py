"""Device health reports and the fleet: stored per device (the newest observed wins), read as
JSON, as a page and as Prometheus metrics, by the tokens allowed to."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from central.cli import main as central_cli
from common.office_clock import aware_now
from tests.support.central import enroll_device, running_central, viewer_token
from tests.support.clocks import RunningClock

SILENT_AFTER = timedelta(minutes=10)


@pytest.fixture(scope="module")
def clock() -> RunningClock:
    """The server's clock, this module's own: the silent tests move it."""
    return RunningClock(aware_now())


@pytest.fixture(scope="module")
def base_url(database_url: str, clock: RunningClock) -> Iterator[str]:
    with running_central(database_url, clock=clock) as url:
        yield url


def report(office: str, device_id: str, observed_at: datetime, /, **changes: Any) -> dict[str, Any]:
    """A lobby's health report as kiosk.device_health writes it."""
    body = {
        "device_id": device_id,
        "role": "lobby",
        "office": office,
        "version": "0.1.0",
        "observed_at": observed_at.isoformat(),
        "started_at": (observed_at - timedelta(hours=1)).isoformat(),
        "uptime_seconds": 3600.0,
        "printer": "ready",
        "scanner": None,
        "outbox": {"pending": 0, "quarantined": 0, "oldest_at": None},
        "sync": {"state": "online", "last_success_at": observed_at.isoformat()},
        "clock_offset_seconds": 0.4,
        "disk": {"free_bytes": 20 * 2**30, "total_bytes": 30 * 2**30},
        "storage": "ok",
        "last_error": None,
        "recent_errors": [],
    }
    body.update(changes)
    return body


def client(base_url: str, token: str | None) -> httpx.Client:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


def monitor_token(database_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """A monitor token made by `kiosk-central monitor-token`, and its id."""
    assert central_cli(["monitor-token", "--db", database_url]) == 0
    printed = capsys.readouterr()
    name = re.search(r"Monitor (monitor-[0-9a-f]+):", printed.err)
    assert name, printed.err
    return printed.out.strip(), name[1]


@pytest.fixture
def lobby(base_url: str, database_url: str, office: str) -> Iterator[httpx.Client]:
    with client(base_url, enroll_device(database_url, office, "lobby", "lobby-01")) as http:
        yield http


@pytest.fixture
def viewer(base_url: str, database_url: str, office: str) -> Iterator[httpx.Client]:
    with client(base_url, viewer_token(database_url, office)) as http:
        yield http


def fleet_device(viewer: httpx.Client, office: str, device_id: str) -> dict[str, Any]:
    response = viewer.get(f"/api/v1/offices/{office}/fleet")
    assert response.status_code == 200, response.text
    devices = {device["device_id"]: device for device in response.json()["devices"]}
    return devices[device_id]


def codes(device: dict[str, Any]) -> list[str]:
    return [problem["code"] for problem in device["problems"]]


def test_the_newest_observed_report_is_kept_and_an_older_one_only_says_it_is_alive(
    lobby, viewer, office, clock
):
    now = clock()
    newer = report(office, "lobby-01", now, printer="paper_out")
    older = report(office, "lobby-01", now - timedelta(minutes=2), printer="ready")
    first = lobby.post("/api/v1/devices/health", json=newer)
    assert first.status_code == 200, first.text
    assert first.json()["stored"] is True
    clock.set(clock() + timedelta(seconds=30))
    late = lobby.post("/api/v1/devices/health", json=older)
    assert late.json()["stored"] is False
    device = fleet_device(viewer, office, "lobby-01")
    assert device["health"]["printer"] == "paper_out"
    assert codes(device) == ["printer_paper_out"]
    assert device["problems"][0]["vi"] == "Máy in hết giấy"
    assert datetime.fromisoformat(device["last_seen_at"]) == datetime.fromisoformat(
        late.json()["last_seen_at"]
    )
    assert device["silent"] is False


def test_a_device_clock_ahead_does_not_keep_its_later_reports_out(lobby, viewer, office, clock):
    ahead = report(office, "lobby-01", clock() + timedelta(days=365), printer="paper_out")
    assert lobby.post("/api/v1/devices/health", json=ahead).json()["stored"] is True
    # The clock is put right: the next report is kept (the one ahead counts as of its arrival).
    clock.set(clock() + timedelta(seconds=1))
    right = report(office, "lobby-01", clock(), printer="ready")
    assert lobby.post("/api/v1/devices/health", json=right).json()["stored"] is True
    assert fleet_device(viewer, office, "lobby-01")["health"]["printer"] == "ready"


def test_a_device_reports_only_for_itself_and_only_a_small_valid_report(
    lobby, viewer, office, clock
):
    now = clock()
    other = lobby.post("/api/v1/devices/health", json=report(office, "lobby-02", now))
    assert other.status_code == 403
    assert "reports only for itself" in other.json()["detail"]
    elsewhere = lobby.post("/api/v1/devices/health", json=report("99999", "lobby-01", now))
    assert elsewhere.status_code == 403
    assert (
        viewer.post("/api/v1/devices/health", json=report(office, "lobby-01", now)).status_code
        == 403
    )
    for bad in (
        {"printer": "on fire"},
        {"uptime_seconds": "3600"},
        {"outbox": {"pending": -1, "quarantined": 0, "oldest_at": None}},
        {"observed_at": "yesterday"},
        {"recent_errors": [{"message": "x", "at": now.isoformat()}] * 11},
    ):
        answer = lobby.post("/api/v1/devices/health", json=report(office, "lobby-01", now, **bad))
        assert answer.status_code == 422, bad
    padded = report(office, "lobby-01", now, padding="x" * 20_000)
    assert lobby.post("/api/v1/devices/health", json=padded).status_code == 413
    # A newer device's extra key is not an error, and is not kept.
    newer = lobby.post("/api/v1/devices/health", json=report(office, "lobby-01", now, fan=1))
    assert newer.status_code == 200
    assert "fan" not in fleet_device(viewer, office, "lobby-01")["health"]


def test_every_enrolled_device_is_listed_with_what_is_wrong_in_words(
    base_url, database_url, lobby, viewer, office, clock
):
    enroll_device(database_url, office, "counter", "counter-02", counter=2)
    now = clock()
    troubled = report(
        office,
        "lobby-01",
        now,
        printer="paper_near_end",
        scanner="disconnected",
        outbox={
            "pending": 12,
            "quarantined": 1,
            "oldest_at": (now - timedelta(minutes=45)).isoformat(),
        },
        clock_offset_seconds=-600.0,
        disk={"free_bytes": 50 * 2**20, "total_bytes": 8 * 2**30},
        last_error={"message": "printer /dev/ttyUSB0: write timed out", "at": now.isoformat()},
    )
    assert lobby.post("/api/v1/devices/health", json=troubled).status_code == 200
    lobby_device = fleet_device(viewer, office, "lobby-01")
    assert [(p["code"], p["vi"]) for p in lobby_device["problems"]] == [
        ("printer_paper_near_end", "Máy in sắp hết giấy"),
        ("scanner_missing", "Không thấy máy quét"),
        ("outbox_backlog", "12 bản ghi chưa gửi được, cũ nhất 45 phút"),
        ("outbox_quarantined", "1 bản ghi bị máy chủ từ chối"),
        ("clock_off", "Đồng hồ nhanh 10 phút"),
        ("disk_low", "Sắp hết dung lượng (50 MB trống)"),
    ]
    counter = fleet_device(viewer, office, "counter-02")
    assert (counter["role"], counter["counter"], counter["health"]) == ("counter", 2, None)
    assert codes(counter) == ["never_reported"]
    page = viewer.get(f"/api/v1/offices/{office}/fleet/page")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    assert "<script" not in text and "http" not in text
    row = re.search(rf'<tr class="problem" id="{office}-lobby-01">(.*?)</tr>', text, re.S)
    assert row, text
    assert "Máy in sắp hết giấy" in row[1] and "Printer paper near its end" in row[1]
    assert "printer /dev/ttyUSB0: write timed out" in row[1]
    assert re.search(rf'id="{office}-counter-02">[^\n]*Chưa từng báo cáo', text)
    # A viewer's page and JSON hold its office only.
    assert all(
        device["office"] == office
        for device in viewer.get(f"/api/v1/offices/{office}/fleet").json()["devices"]
    )


def test_a_device_not_heard_from_for_silent_after_is_silent(lobby, viewer, office, clock):
    assert (
        lobby.post("/api/v1/devices/health", json=report(office, "lobby-01", clock())).status_code
        == 200
    )
    assert fleet_device(viewer, office, "lobby-01")["silent"] is False
    clock.set(clock() + SILENT_AFTER + timedelta(seconds=5))
    device = fleet_device(viewer, office, "lobby-01")
    assert device["silent"] is True
    assert codes(device)[0] == "silent"
    assert device["problems"][0]["en"] == "Not heard from for 10 min"
    metrics = viewer.get("/metrics")
    assert f'kiosk_device_up{{office="{office}",device="lobby-01",role="lobby"}} 0' in metrics.text


def test_who_may_read_the_fleet_and_the_metrics(
    base_url, database_url, lobby, viewer, office, clock, capsys
):
    assert (
        lobby.post("/api/v1/devices/health", json=report(office, "lobby-01", clock())).status_code
        == 200
    )
    other_office = f"{int(office) + 50000:05d}"
    with client(base_url, enroll_device(database_url, other_office, "lobby", "lobby-07")) as far:
        far_report = report(other_office, "lobby-07", clock(), printer="paper_out")
        assert far.post("/api/v1/devices/health", json=far_report).status_code == 200
        assert far.get(f"/api/v1/offices/{other_office}/fleet").status_code == 403  # a device
    assert viewer.get(f"/api/v1/offices/{other_office}/fleet").status_code == 403
    assert viewer.get("/api/v1/fleet").status_code == 403
    assert viewer.get("/api/v1/fleet/page").status_code == 403
    with client(base_url, None) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
        assert anonymous.get(f"/api/v1/offices/{office}/fleet").status_code == 401
    own = viewer.get("/metrics").text
    assert f'office="{office}"' in own and f'office="{other_office}"' not in own
    token, name = monitor_token(database_url, capsys)
    with client(base_url, token) as monitor:
        every = monitor.get("/api/v1/fleet").json()
        offices = {device["office"] for device in every["devices"]}
        assert {office, other_office} <= offices and every["office"] is None
        assert monitor.get(f"/api/v1/offices/{other_office}/fleet").status_code == 200
        page = monitor.get("/api/v1/fleet/page", params={"token": token})
        assert f"Đơn vị {other_office}" in page.text and "Máy in hết giấy" in page.text
        metrics = monitor.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        line = (
            f'kiosk_printer_paper_out{{office="{other_office}",device="lobby-07",role="lobby"}} 1'
        )
        assert line in metrics.text
        # A monitor reads; it reports nothing and reads no office's tickets or queue.
        assert monitor.get(f"/api/v1/offices/{office}/queue").status_code == 403
        assert (
            monitor.post(
                "/api/v1/devices/health", json=report(office, "lobby-01", clock())
            ).status_code
            == 403
        )
    revoke = ["revoke", "--db", database_url, "--office", "*", "--device-id", name]
    assert central_cli(revoke) == 0
    with client(base_url, token) as revoked:
        assert revoked.get("/metrics").status_code == 401


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_the_metrics_are_valid_exposition_text(lobby, viewer, office, clock):
    troubled = report(office, "lobby-01", clock(), printer="paper_out", scanner="connected")
    assert lobby.post("/api/v1/devices/health", json=troubled).status_code == 200
    text = viewer.get("/metrics").text
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr + text
    labels = f'{{office="{office}",device="lobby-01",role="lobby"}}'
    for line in (
        f"kiosk_device_up{labels} 1",
        f"kiosk_printer_paper_out{labels} 1",
        f"kiosk_printer_cannot_print{labels} 1",
        f"kiosk_printer_paper_near_end{labels} 0",
        f"kiosk_scanner_connected{labels} 1",
        f"kiosk_outbox_pending{labels} 0",
        f"kiosk_outbox_oldest_age_seconds{labels} 0",
        f"kiosk_clock_offset_seconds{labels} 0.4",
        f"kiosk_disk_free_bytes{labels} {20 * 2**30}",
        f"kiosk_storage_fault{labels} 0",
        f'kiosk_device_info{{office="{office}",device="lobby-01",role="lobby",version="0.1.0"}} 1',
    ):
        assert line in text.splitlines(), line
