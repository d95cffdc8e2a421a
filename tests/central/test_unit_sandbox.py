"""The server works under what systemd/kiosk-central.service forbids it: memory both writable
and executable, or made executable later (MemoryDenyWriteExecute=yes, which a JIT or a library
writing machine code at run time would trip over). Linux's own PR_SET_MDWE (6.3 and later)
refuses the same to a process and its children: `kiosk-central migrate` and `serve` run under it
here, on PostgreSQL (psycopg's and libpq's native code; SQLite is the standard library's), and
must upgrade, enrol, ingest and answer the queue. Skipped on a kernel without it.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import Api, Events
from tests.support.central import PROCESS_START_TIMEOUT_S, issue_enroll_code
from tests.support.ports import free_port
from tests.support.processes import REPO_ROOT

PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1
OFFICE = "10901"
# The child refuses itself writable+executable memory, then becomes `python ARGS`.
UNDER_MDWE = (
    "import ctypes, os, sys\n"
    f"assert ctypes.CDLL(None, use_errno=True).prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN},"
    " 0, 0, 0) == 0\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)

pytestmark = pytest.mark.skipif(
    ctypes.CDLL(None).prctl(PR_GET_MDWE, 0, 0, 0, 0) < 0,
    reason="this kernel has no PR_SET_MDWE (Linux 6.3+)",
)


def kiosk_central(*args: str) -> list[str]:
    return [sys.executable, "-c", UNDER_MDWE, "-m", "central", *args]


@pytest.fixture(scope="module")
def server(postgresql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kiosk-central migrate`, then `serve`, as the unit runs them, under PR_SET_MDWE."""
    folder = tmp_path_factory.mktemp("mdwe")
    migrated = subprocess.run(
        kiosk_central("migrate", "--db", postgresql_url),
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = folder / "central.log"
    command = kiosk_central("serve", "--db", postgresql_url, "--port", str(port))
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--key-dir", str(folder / "keys")],
            cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PROCESS_START_TIMEOUT_S
        while not answers(url):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_server_serves_without_writable_executable_memory(
    server: str, postgresql_url: str
) -> None:
    code = issue_enroll_code(postgresql_url, OFFICE, "lobby", device_id="lobby-01")
    enrolled = httpx.post(
        f"{server}/api/v1/enroll",
        json={"code": code, "device": {"id": "lobby-01", "role": "lobby", "version": "test"}},
        timeout=30,
    )
    assert enrolled.status_code == 200, enrolled.text
    with Api(server, enrolled.json()["token"], office=OFFICE) as lobby:
        ticket = Events(OFFICE).issued("1001")
        assert [result["status"] for result in lobby.results([ticket])] == ["accepted"]
        fields = lobby.queue().json()["fields"]
        assert [(field["field_id"], field["waiting"]) for field in fields] == [("ho-tich", 1)]
