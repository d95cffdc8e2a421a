"""The [central] table: defaults, and bad values refused with file, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError
from tests.support.device import device_config


def test_sync_is_off_by_default_with_documented_limits(tmp_path: Path) -> None:
    central = device_config(tmp_path).central
    assert (central.url, central.ca_bundle) == ("", None)
    assert (central.timeout, central.batch_size, central.max_backoff) == (10, 500, 300)


def test_a_central_address_and_a_city_ca_are_read(tmp_path: Path) -> None:
    pem = tmp_path / "city-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    central = device_config(
        tmp_path, f'url = "https://kiosk.example.vn/"\nca_bundle = "{pem}"\nbatch_size = 50'
    ).central
    assert central.url == "https://kiosk.example.vn"
    assert central.ca_bundle == pem
    assert central.batch_size == 50


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:9000"]
)
def test_plain_http_is_allowed_to_this_machine_only(tmp_path: Path, url: str) -> None:
    assert device_config(tmp_path, f'url = "{url}"').central.url == url.rstrip("/")


@pytest.mark.parametrize(
    ("central", "expected"),
    [
        ('url = "http://kiosk.example.vn"', '[central] url = "http://kiosk.example.vn" — must be'),
        ('url = "kiosk.example.vn"', "http:// only for a server on this machine"),
        ('url = "https://kiosk.example.vn/?x=1"', "[central] url"),
        ("url = 5", "[central] url = 5 — must be"),
        ('ca_bundle = "city-ca.pem"', '[central] ca_bundle = "city-ca.pem" — must be'),
        ('ca_bundle = "/nonexistent/ca.pem"', "no such file"),
        ("timeout = 0.5", "[central] timeout = 0.5 — must be a number of seconds from 1 to 120"),
        ("batch_size = 501", "[central] batch_size = 501 — must be a whole number from 1 to 500"),
        ("max_backoff = 1", "[central] max_backoff = 1 — must be a number of seconds from 5"),
        ("token = 'x'", "[central] token — unknown key; allowed: url, ca_bundle, timeout,"),
    ],
)
def test_bad_central_values_name_the_file_key_and_what_is_allowed(
    tmp_path: Path, central: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        device_config(tmp_path, central)
    assert str(tmp_path / "etc" / "kiosk.toml") in str(refused.value)
    assert expected in str(refused.value)
