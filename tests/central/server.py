"""A real central server for tests: uvicorn on 127.0.0.1 in a thread, on a free port.

Other test suites (the kiosk's sync client) use it too:

    from tests.central.server import enroll_device, running_central

    with running_central(f"sqlite:///{tmp_path / 'central.db'}") as base_url:
        token = enroll_device(database_url, "00637", "lobby", "lobby-01")
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from central.app import create_app
from central.db import Database
from central.enrolment import create_code, enroll
from common.office_clock import aware_now

START_TIMEOUT_S = 20.0
REPO = Path(__file__).resolve().parents[2]


@contextmanager
def running_central(
    database_url: str, clock: Callable[[], datetime] = aware_now, key_dir: Path | None = None
) -> Iterator[str]:
    """Serve the central API on a database URL, on `clock`; yields the base URL
    `http://127.0.0.1:PORT`."""
    keys = str(key_dir) if key_dir else tempfile.mkdtemp(prefix="central-keys-")
    app = create_app(database_url, clock=clock, key_dir=Path(keys))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="central", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the central server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        if key_dir is None:
            shutil.rmtree(keys, ignore_errors=True)


def issue_enroll_code(
    database_url: str,
    office: str,
    role: str,
    *,
    counter: int | None = None,
    device_id: str | None = None,
) -> str:
    """A fresh one-time code, as `kiosk-central enroll-code` makes it."""
    db = Database(database_url)
    try:
        db.create_schema()
        issued = create_code(
            db, office=office, role=role, counter=counter, device_id=device_id, now=_now()
        )
    finally:
        db.dispose()
    return issued.code


def enroll_device(
    database_url: str, office: str, role: str, device_id: str, *, counter: int | None = None
) -> str:
    """Enrol a device straight in the database (no HTTP) and return its bearer token.

    A counter device needs its counter number (call-next only works on its own counter).
    """
    code = issue_enroll_code(database_url, office, role, counter=counter, device_id=device_id)
    db = Database(database_url)
    try:
        credentials = enroll(
            db, code=code, device_id=device_id, role=role, version="test", now=_now()
        )
    finally:
        db.dispose()
    return credentials.token


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def running_central_process(
    database_url: str,
    log: Path | None = None,
    *,
    tls: tuple[Path, Path] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[str]:
    """Like running_central, in a `kiosk-central serve` child process (its own interpreter:
    load does not share the GIL with the server, and the server can be killed); its log goes
    to `log`. With `tls` (certificate, key) it serves HTTPS; `options` go to `serve`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "central", "serve", "--db", database_url, "--port", str(port)]
    command += options
    if "--key-dir" not in options:
        command += ["--key-dir", tempfile.mkdtemp(prefix="central-keys-")]
    if tls is not None:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    with open(log or os.devnull, "wb") as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
    base_url = f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"
    verify: ssl.SSLContext | bool = (
        True if tls is None else ssl.create_default_context(cafile=tls[0])
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(base_url, verify):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the central server process did not start")
            time.sleep(0.05)
        yield base_url
    finally:
        child.terminate()
        try:
            child.wait(START_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # still answering a backlog of requests
            child.kill()
            child.wait()


def _answers(base_url: str, verify: ssl.SSLContext | bool) -> bool:
    try:
        response = httpx.get(f"{base_url}/api/v1/health", timeout=1, verify=verify)
    except httpx.TransportError:
        return False
    return response.status_code == 200
