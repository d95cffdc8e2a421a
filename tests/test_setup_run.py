"""`kiosk run` on a device never provisioned, as systemd starts it: the setup screen, the
provisioning QR scanned by the virtual scanner, and the same process (exec, same pid) then runs
the role it was given, without anything reinstalled."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from devices.virtual_scanner import VirtualScanner
from kiosk.config import load_config
from tests.support.central import central_server
from tests.support.device import write_override
from tests.support.processes import REPO_ROOT
from tests.support.provisioning import provisioning_text
from tests.support.ui import pump

# The lobby's printer is absent (the app runs and says so).
LOBBY_SITE = """
[printer]
url = "{printer}"
"""


def test_kiosk_run_sets_up_then_becomes_the_role_in_the_same_process(tmp_path: Path) -> None:
    twin = VirtualScanner(tmp_path / "qr-scanner")
    etc = write_override(
        tmp_path / "etc",
        kiosk=f'[scanner]\nurl = "{twin.device_path}"\n'
        + LOBBY_SITE.format(printer=tmp_path / "no-printer"),
    )
    log = tmp_path / "data" / "logs" / "kiosk.log"
    # systemd's notify socket: READY=1 from the setup app, then again from the role's app.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "NOTIFY_SOCKET": str(tmp_path / "notify")}
    with central_server(tmp_path) as central, notify:
        text = provisioning_text(central.url, central.database_url, "lobby", "lobby-02")
        device = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(etc)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert notify.recv(100) == b"READY=1"  # the setup screen is up
            listening = f"scanner {twin.device_path}: connected"
            assert pump(lambda: listening in read(log), timeout=30), read(log)
            twin.scan(text.encode())
            assert notify.recv(100) == b"READY=1"  # and the lobby kiosk is
            assert device.poll() is None  # the same process
            shown = read(log)
            assert "provisioned as lobby-02 (lobby)" in shown
            assert 'window "Phường Đại Mỗ – lobby lobby-02"' in shown
        finally:
            # Killed, not stopped: a SIGTERM this soon after start meets a Kivy layout still
            # pending and a traceback (apps.launch), which is not what this test is about.
            device.kill()
            device.wait(30)
            twin.close()
    assert load_config(etc).device.id == "lobby-02"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
