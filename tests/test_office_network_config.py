"""kiosk.toml [office_network]: the shipped defaults, a site's targets, and bad values refused
with the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.config.office_network import Target
from tests.support.device import write_override


def test_shipped_defaults_broadcast_on_port_47810(tmp_path: Path) -> None:
    network = load_config(tmp_path).office_network
    assert (network.enabled, network.port, network.listen) == (True, 47810, "0.0.0.0")
    assert network.send_to == (Target("255.255.255.255", 47810),)
    assert network.max_clock_skew_seconds == 60


def test_listed_displays_with_and_without_their_port(tmp_path: Path) -> None:
    folder = write_override(
        tmp_path / "etc",
        kiosk='[office_network]\nport = 50000\nsend_to = ["192.168.1.50", "hall-tv.local:50001"]\n'
        'listen = "192.168.1.50"\nmax_clock_skew_seconds = 30\n',
    )
    network = load_config(folder).office_network
    assert network.send_to == (Target("192.168.1.50", 50000), Target("hall-tv.local", 50001))
    assert (network.listen, network.max_clock_skew_seconds) == ("192.168.1.50", 30.0)
    assert str(network.send_to[1]) == "hall-tv.local:50001"


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('send_to = ["192.168.1.50:99999"]', "send_to"),
        ('send_to = ["192.168.1.50:"]', "send_to"),
        ('send_to = ["300.1.1.1"]', "send_to"),
        ('send_to = ["::1"]', "send_to"),
        ("send_to = []", "send_to"),
        ('send_to = "192.168.1.50"', "send_to"),
        ('listen = "::"', "listen"),
        ('listen = "hall-tv"', "listen"),
        ("port = 80", "port"),
        ("max_clock_skew_seconds = 0", "max_clock_skew_seconds"),
        ('enabled = "yes"', "enabled"),
        ("broadcast = true", "broadcast"),
    ],
)
def test_bad_values_are_refused_naming_file_and_key(tmp_path: Path, line: str, named: str) -> None:
    folder = write_override(tmp_path / "etc", kiosk=f"[office_network]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert str(folder / "kiosk.toml") in message and f"[office_network] {named}" in message
