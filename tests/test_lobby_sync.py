"""The lobby and the central server: what the status line says, and tickets reaching the server."""

from __future__ import annotations

import requests

from kiosk.config import load_config
from kiosk.enrollment import enroll, load_enrolment
from tests.central.server import issue_enroll_code, running_central
from tests.test_lobby_flow import field_button, go_to_fields
from tests.ui_harness import pump, running_lobby, tap, write_override


def enrolled_config(tmp_path, central_url: str, database_url: str):
    config = load_config(write_override(tmp_path / "etc", tmp_path / "data"))
    code = issue_enroll_code(database_url, "00637", "lobby", device_id="lobby-01")
    enroll(config, api_url=central_url, code=code, ca_bundle=None)
    return config


def waiting_on_server(central_url: str, token: str, field_id: str) -> int:
    reply = requests.get(
        f"{central_url}/api/v1/offices/00637/queue",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    reply.raise_for_status()
    fields = {f["field_id"]: f for f in reply.json()["fields"]}
    return fields.get(field_id, {}).get("waiting", 0)


def test_online_lobby_sends_each_ticket_to_the_central_server(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central(database_url) as central_url:
        config = enrolled_config(tmp_path, central_url, database_url)
        token = load_enrolment(config.device.data_dir).token
        with running_lobby(tmp_path, config=config) as (app, _printer):
            welcome = app.root.get_screen("welcome")
            assert pump(lambda: "Máy chủ trung tâm: đã kết nối" in welcome.ids.status_line.text)
            assert welcome.ids.offline_notice.text == ""
            tap(field_button(go_to_fields(app), "cu-tru"))
            assert pump(lambda: app.root.current == "ticket")
            assert pump(lambda: waiting_on_server(central_url, token, "cu-tru") == 1, timeout=15)
            assert pump(lambda: app.sync_status.pending == 0, timeout=15)


def test_offline_lobby_still_issues_tickets_and_says_so_calmly(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central(database_url) as central_url:
        config = enrolled_config(tmp_path, central_url, database_url)
    # The server is gone now: the network is down.
    with running_lobby(tmp_path, config=config) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        assert pump(lambda: "Mất kết nối máy chủ từ" in welcome.ids.status_line.text, timeout=15)
        assert welcome.ids.offline_notice.text == (
            "Mất kết nối máy chủ – phiếu vẫn được cấp, dữ liệu sẽ được gửi khi có mạng."
        )
        tap(field_button(go_to_fields(app), "ho-tich"))
        assert pump(lambda: app.root.get_screen("ticket").print_state == "printed")
        assert pump(lambda: "dữ liệu chờ gửi" in welcome.ids.status_line.text, timeout=15)
