"""The real central server for tests: uvicorn on 127.0.0.1 in a thread (`running_central`,
`central_server`), or `python -m central serve` in a child process that can be killed and
started again (`CentralProcess`, `running_central_process`); devices enrolled straight in its
database, and looks into what it stored.

    with central_server(tmp_path) as central:
        token = enroll_device(central.database_url, "00637", "lobby", "lobby-01")
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import uvicorn

from central.app import create_app
from central.db import Database
from central.enrolment import create_city_token, create_code, create_viewer_token, enroll
from central.serving import CentralUvicorn
from common.office_clock import aware_now
from tests.support.ports import free_port
from tests.support.processes import REPO_ROOT

START_TIMEOUT_S = 20.0
PROCESS_START_TIMEOUT_S = 30.0


@contextmanager
def running_central(
    database_url: str,
    clock: Callable[[], datetime] = aware_now,
    key_dir: Path | None = None,
    *,
    port: int = 0,
) -> Iterator[str]:
    """Serve the central API on a database URL, on `clock`, in a thread; yields the base URL
    `http://127.0.0.1:PORT`. `port` 0 is a free one; a chosen port lets a server go down and
    come back at the address the devices enrolled with. The day keys are in `key_dir` (default
    a temporary folder, removed after)."""
    keys = str(key_dir) if key_dir else tempfile.mkdtemp(prefix="central-keys-")
    app = create_app(database_url, clock=clock, key_dir=Path(keys))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = CentralUvicorn(config, app)  # as `serve`: a stop answers the long-polls at once
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


class CentralServer(NamedTuple):
    """A central server of a test: where it answers, and its database."""

    url: str
    database_url: str


@contextmanager
def central_server(
    folder: Path, clock: Callable[[], datetime] = aware_now
) -> Iterator[CentralServer]:
    """running_central on a new SQLite database in `folder`."""
    database_url = f"sqlite:///{folder / 'central.db'}"
    with running_central(database_url, clock) as base_url:
        yield CentralServer(base_url, database_url)


class CentralProcess:
    """The real central server, `python -m central serve`, as a child process (its own
    interpreter: load does not share the GIL with the server) on a port of its own: it can be
    killed with SIGKILL and started again where the devices expect it.

    Its log is appended to `log`; with `tls` (certificate, key) it serves HTTPS, trusted through
    `ca` (default the certificate itself); `options` go to `serve`. The day keys are in a
    temporary folder, kept across restarts and removed on exit."""

    def __init__(
        self,
        database_url: str,
        *,
        log: Path | None = None,
        tls: tuple[Path, Path] | None = None,
        ca: Path | None = None,
        options: tuple[str, ...] = (),
        wrapper: tuple[str, ...] = (),
    ) -> None:
        """`wrapper` runs before the interpreter, e.g. ("faketime", "-f", "+1d") for a server
        whose clock is a day ahead; it may be changed between a stop and a start."""
        self.database_url = database_url
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._keys = tempfile.mkdtemp(prefix="central-keys-")
        self.wrapper = wrapper
        self._command = [sys.executable, "-m", "central", "serve", "--db", database_url]
        self._command += ["--port", str(self.port), *options, "--key-dir", self._keys]
        if tls is not None:
            self._command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self._verify: ssl.SSLContext | bool = (
            True if tls is None else ssl.create_default_context(cafile=ca or tls[0])
        )
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def in_folder(cls, folder: Path, **options: Any) -> CentralProcess:
        """On an SQLite database in `folder`, its log in folder/central.log."""
        return cls(f"sqlite:///{folder / 'central.db'}", log=folder / "central.log", **options)

    @property
    def key_dir(self) -> Path:
        """The folder of its day keys."""
        return Path(self._keys)

    @property
    def database(self) -> Path:
        """The SQLite file it stores in."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    def __enter__(self) -> CentralProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
        shutil.rmtree(self._keys, ignore_errors=True)

    def start(self) -> None:
        """Start it, and wait until it answers."""
        with open(self._log or os.devnull, "ab") as output:
            self._process = subprocess.Popen(
                [*self.wrapper, *self._command],
                cwd=REPO_ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + PROCESS_START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self._log.read_text() if self._log else ""
                raise RuntimeError(f"the central server process did not start: {log}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            response = httpx.get(f"{self.url}/api/v1/health", timeout=1, verify=self._verify)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown (SIGKILL if it is still answering a backlog)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
        self._process = None

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, requests in flight are cut."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`kiosk-central COMMAND --db THIS ...`."""
        command = [sys.executable, "-m", "central", args[0], "--db", self.database_url, *args[1:]]
        return subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
        )


@contextmanager
def running_central_process(
    database_url: str,
    log: Path | None = None,
    *,
    tls: tuple[Path, Path] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[str]:
    """A CentralProcess started for the block and stopped gracefully after; yields its base
    URL."""
    with CentralProcess(database_url, log=log, tls=tls, options=options) as server:
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


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


def viewer_token(database_url: str, office: str) -> str:
    """A read-only token of `office`, as `kiosk-central viewer-token` makes it."""
    db = Database(database_url)
    try:
        return create_viewer_token(db, office=office, now=_now()).token
    finally:
        db.dispose()


def city_token(database_url: str, city: str) -> str:
    """A read-only token of `city`, as `kiosk-central viewer-token --city` makes it."""
    db = Database(database_url)
    try:
        return create_city_token(db, city=city, now=_now()).token
    finally:
        db.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def query(database_url: str, statement: Any) -> list[Any]:
    """The rows of a statement on the server's database."""
    db = Database(database_url)
    try:
        return db.read(lambda conn: conn.execute(statement).all())
    finally:
        db.dispose()


def central_event_ids(central_db: Path) -> Counter[str]:
    """How many times each event id is stored on the central server (SQLite)."""
    db = sqlite3.connect(central_db)
    try:
        return Counter(event_id for (event_id,) in db.execute("SELECT id FROM events"))
    finally:
        db.close()
