"""The example reverse proxy (install/central/nginx-kiosk-central.conf) for real: nginx accepts
it, and a device that trusts the city's CA enrols and reads through it over TLS, one that
trusts only the system's CAs is refused; the report page's token stays out of nginx's log.
Skipped where nginx is not installed.

The site file is used as shipped but for what this machine must change: its addresses (free
ports on 127.0.0.1), the upstream's port, the certificate folder and the log folder.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from kiosk.central_client import CentralClient, CentralNoAnswer
from tests.support.api import CLOCK
from tests.support.central import issue_enroll_code, running_central
from tests.support.ports import free_port
from tests.support.processes import REPO_ROOT
from tests.test_sync_tls import make_ca, make_server_cert

NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")
SITE = REPO_ROOT / "install/central/nginx-kiosk-central.conf"
START_TIMEOUT_S = 10.0

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


class Proxy(NamedTuple):
    url: str  # https://127.0.0.1:PORT, nginx
    ca_pem: Path  # the city's CA, which the devices trust
    tls: ssl.SSLContext  # trusting it
    folder: Path  # nginx's, with its access log
    database_url: str  # the server's behind it


def site_here(*, http_port: int, https_port: int, upstream_port: int, folder: Path) -> str:
    """The shipped site file with this machine's addresses and folders."""
    text = SITE.read_text()
    for shipped, here in {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
        "/etc/kiosk-central/tls/": f"{folder}/tls/",
        "/var/log/nginx/": f"{folder}/",
    }.items():
        assert shipped in text, f"{SITE.name} no longer has {shipped!r}"
        text = text.replace(shipped, here)
    return text


def main_config(folder: Path) -> Path:
    """An nginx.conf of its own (as /etc/nginx/nginx.conf, which includes sites-enabled/)."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n{temp}\n    include {folder / 'site.conf'};\n}}\n"
    )
    return config


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx with the site in front of a real server."""
    folder = tmp_path_factory.mktemp("nginx")
    ca_pem = folder / "city-ca.pem"
    chain, key = make_server_cert(folder / "tls", make_ca(ca_pem))
    chain.rename(folder / "tls/server-chain.pem")
    key.rename(folder / "tls/server.key")
    https_port = free_port()
    database_url = f"sqlite:///{folder / 'central.db'}"
    with running_central(database_url, clock=CLOCK) as upstream:
        (folder / "site.conf").write_text(
            site_here(
                http_port=free_port(),
                https_port=https_port,
                upstream_port=int(upstream.rsplit(":", 1)[1]),
                folder=folder,
            )
        )
        options = ["-c", str(main_config(folder)), "-p", str(folder)]
        options += ["-e", str(folder / "error.log")]
        assert NGINX is not None
        checked = subprocess.run(
            [NGINX, "-t", "-q", *options],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert (checked.returncode, checked.stderr) == (0, "")
        nginx = subprocess.Popen([NGINX, *options])
        try:
            url = f"https://127.0.0.1:{https_port}"
            tls = ssl.create_default_context(cafile=ca_pem)
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    httpx.get(f"{url}/api/v1/health", verify=tls, timeout=5)
                    break
                except httpx.ConnectError:
                    assert nginx.poll() is None and time.monotonic() < deadline, "no nginx"
                    time.sleep(0.05)
            yield Proxy(url, ca_pem, tls, folder, database_url)
        finally:
            nginx.terminate()
            nginx.wait(10)


def test_a_device_trusting_the_city_ca_enrols_and_reads_through_the_proxy(
    proxy: Proxy,
) -> None:
    """The device's own client (kiosk.central_client), as `kiosk enroll --ca-bundle` sets it up."""
    code = issue_enroll_code(proxy.database_url, "00637", "display", device_id="display-01")
    enrolling = CentralClient(proxy.url, ca_bundle=proxy.ca_pem)
    reply = enrolling.enroll(code, {"id": "display-01", "role": "display", "version": "test"})
    enrolling.close()
    display = CentralClient(proxy.url, token=reply.token, ca_bundle=proxy.ca_pem)
    try:
        assert display.health().server_time is not None
        assert display.calls("00637", after=None, wait=0)["calls"] == []
    finally:
        display.close()
    stranger = CentralClient(proxy.url)  # the system's CAs: they do not know the city's
    try:
        with pytest.raises(CentralNoAnswer, match="TLS"):
            stranger.health()
    finally:
        stranger.close()


def test_the_proxy_logs_no_query_string(proxy: Proxy) -> None:
    page = f"{proxy.url}/api/v1/offices/00637/reports/satisfaction/page"
    httpx.get(page, params={"token": "secret-viewer-token"}, verify=proxy.tls, timeout=10)
    line = "GET /api/v1/offices/00637/reports/satisfaction/page HTTP/1.1"
    log = proxy.folder / "kiosk-central.access.log"
    deadline = time.monotonic() + 10
    while line not in log.read_text():  # nginx logs a request once its answer has left
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    assert "secret-viewer-token" not in log.read_text()
