"""kiosk.toml [office_network]: calls sent by the counters straight to the hall display over
the office network (kiosk.hall_network), signed with the office's hall key.

A counter sends each call to every `send_to` target (default: the broadcast address); a
display listens on `listen`:`port`. Names in `send_to` are resolved by the counter each time it
sends: use addresses, or names the device resolves without a server (/etc/hosts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address

from kiosk.config.reader import Table

DEFAULT_PORT = 47810

SEND_TO_ALLOWED = (
    'must be a list of "host" or "host:port" (an IPv4 address such as "192.168.1.50" or'
    ' "255.255.255.255" for the whole network, or a host name), at least one'
)
LISTEN_ALLOWED = 'must be an IPv4 address of this device, or "0.0.0.0" for every one'

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


@dataclass(frozen=True)
class Target:
    """One place a counter sends its calls to."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class OfficeNetworkConfig:
    enabled: bool
    port: int  # the display listens on it; a target without its own port is sent to it
    send_to: tuple[Target, ...]
    listen: str
    max_clock_skew_seconds: float


def parse_target(text: str, default_port: int) -> Target | None:
    """ "host" or "host:port" as a Target, or None when it is neither."""
    host, colon, port_text = text.strip().rpartition(":")
    if not colon:
        host, port_text = text.strip(), ""
    port = default_port
    if colon:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            return None
        port = int(port_text)
    if not _is_host(host):
        return None
    return Target(host, port)


def _is_host(host: str) -> bool:
    try:
        return isinstance(ip_address(host), IPv4Address)
    except ValueError:
        return not host.replace(".", "").isdigit() and bool(_HOST_NAME.fullmatch(host))


def parse_office_network(t: Table) -> OfficeNetworkConfig:
    enabled = t.boolean("enabled")
    port = t.integer("port", 1024, 65535, note=" (a UDP port)")
    raw = t.text_list("send_to", SEND_TO_ALLOWED)
    parsed = [parse_target(item, port) for item in raw]
    targets = tuple(target for target in parsed if target is not None)
    if not targets or len(targets) != len(parsed):
        t.fail("send_to", SEND_TO_ALLOWED, related=("port",))
    listen = t.text("listen", LISTEN_ALLOWED)
    try:
        if not isinstance(ip_address(listen), IPv4Address):
            t.fail("listen", LISTEN_ALLOWED)
    except ValueError:
        t.fail("listen", LISTEN_ALLOWED)
    skew = t.seconds("max_clock_skew_seconds", 5, 600)
    t.finish()
    return OfficeNetworkConfig(enabled, port, targets, listen, skew)
