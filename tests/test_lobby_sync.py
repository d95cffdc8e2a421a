"""The lobby and the central server: what the status line says, and tickets reaching the server."""

from __future__ import annotations

import requests

from kiosk.enrolment import load_enrolment
from tests.support.central import CentralServer, central_server
from tests.support.device import enrol
from tests.support.ui import (
    field_button,
    frames,
    go_to_fields,
    lobby_config,
    pump,
    running_lobby,
    tap,
)


def enrolled_config(tmp_path, central: CentralServer):
    config = lobby_config(tmp_path)
    enrol(config, central)
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
    with central_server(tmp_path) as central:
        config = enrolled_config(tmp_path, central)
        token = load_enrolment(config.device.data_dir).token
        with running_lobby(tmp_path, config=config) as (app, _printer):
            welcome = app.root.get_screen("welcome")
            assert pump(lambda: "Máy chủ trung tâm: đã kết nối" in welcome.ids.status_line.text)
            tap(field_button(go_to_fields(app), "cu-tru"))
            assert pump(lambda: app.root.current == "ticket")
            assert pump(lambda: waiting_on_server(central.url, token, "cu-tru") == 1, timeout=15)
            assert pump(lambda: app.sync_status.pending == 0, timeout=15)


def test_offline_lobby_still_issues_tickets_and_says_so_calmly(tmp_path):
    with central_server(tmp_path) as central:
        config = enrolled_config(tmp_path, central)
    # The server is gone now: the network is down.
    with running_lobby(tmp_path, config=config) as (app, _printer):
        welcome = app.root.get_screen("welcome")
        assert pump(lambda: "Mất kết nối máy chủ từ" in welcome.ids.status_line.text, timeout=15)
        # A small item of the status line: nothing a citizen must act on, no banner.
        assert "offline_notice" not in welcome.ids
        assert welcome.ids.printer_banner.height == 0
        tap(field_button(go_to_fields(app), "ho-tich"))
        assert pump(lambda: app.root.get_screen("ticket").print_state == "printed")
        assert pump(lambda: app.sync_status.pending > 0, timeout=15)
        frames(3)
        # Events waiting mean nothing to a citizen: the technician menu counts them.
        assert "chờ gửi" not in welcome.ids.status_line.text
