"""kiosk.toml [central]: where the device sends its events, and the central URL policy.

`central_url_problem` is the one rule for the server's address, used here and by
`kiosk enroll`: https, or plain http only to this machine.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from kiosk.config.reader import Table


@dataclass(frozen=True)
class CentralConfig:
    """Where this device sends its events. `url` "" means: the URL stored by `kiosk enroll`
    (and no sync at all when the device is not enrolled); `ca_bundle` None means the system's
    certificate authorities. TLS certificates are always verified."""

    url: str
    ca_bundle: Path | None
    timeout: float
    batch_size: int
    max_backoff: float
    # Beyond this many seconds between the device's clock and the server's, the device says so
    # and issues tickets on the server's time (kiosk.server_clock).
    clock_margin: float


CENTRAL_URL_ALLOWED = (
    'must be "" (not configured) or the https:// address of the central server, e.g.'
    ' "https://kiosk.hanoi.gov.vn"; http:// only for a server on this machine'
    ' (e.g. "http://127.0.0.1:8000")'
)


def central_url_problem(url: str) -> str | None:
    """Why `url` cannot be the central server's address, or None when it can.

    Plain http is refused except to this machine: events carry personal data, which travels
    only over TLS.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.query or parts.fragment or not parts.hostname:
        return CENTRAL_URL_ALLOWED
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return CENTRAL_URL_ALLOWED


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def parse_central(t: Table) -> CentralConfig:
    url = t.take("url", CENTRAL_URL_ALLOWED)
    if not isinstance(url, str) or (url and central_url_problem(url)):
        t.fail("url", CENTRAL_URL_ALLOWED)
    bundle_allowed = (
        'must be "" (the system certificate authorities) or the absolute path of a PEM file'
        " holding the certificate of the city's own authority"
    )
    bundle = t.take("ca_bundle", bundle_allowed)
    if not isinstance(bundle, str) or (bundle and not Path(bundle).is_absolute()):
        t.fail("ca_bundle", bundle_allowed)
    if bundle and not Path(bundle).is_file():
        t.fail("ca_bundle", "no such file; it " + bundle_allowed)
    timeout = t.seconds("timeout", 1, 120)
    batch_size = t.integer("batch_size", 1, 500, note=" (events per request)")
    max_backoff = t.seconds("max_backoff", 5, 3600)
    clock_margin = t.seconds("clock_margin", 5, 3600)
    t.finish()
    return CentralConfig(
        url.rstrip("/"),
        Path(bundle) if bundle else None,
        timeout,
        batch_size,
        max_backoff,
        clock_margin,
    )
