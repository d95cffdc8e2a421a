"""The provisioning code of the QR: read back as written, and anything else a scanner may read
refused with one plain sentence."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import date

import pytest

from common.provisioning_code import (
    ProvisioningCode,
    ProvisioningCodeError,
    is_provisioning_text,
    parse_provisioning_code,
)

CODE = ProvisioningCode(
    api_url="https://kiosk.hanoi.gov.vn",
    ca_sha256="ab" * 32,
    office="00637",
    code_list_date=date(2025, 7, 1),
    office_name="Phường Đại Mỗ",
    role="counter",
    counter=3,
    device_id="counter-03",
    code="7K3M-Q9XD-2HTB",
)


def encoded(record: dict[str, object]) -> str:
    return "KIOSKPROV1:" + base64.urlsafe_b64encode(json.dumps(record).encode()).decode()


def test_a_code_reads_back_as_written_with_its_diacritics_and_a_scanner_prefix() -> None:
    text = CODE.to_text()
    assert text.startswith("KIOSKPROV1:") and text.isascii() and "=" not in text
    assert parse_provisioning_code(text) == CODE
    assert parse_provisioning_code(f"]Q1{text}\r\n") == CODE  # AIM identifier, line end
    lobby = replace(CODE, role="lobby", counter=None, ca_sha256="", device_id="lobby-02")
    assert parse_provisioning_code(lobby.to_text()) == lobby


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("001089012345||Nguyễn Văn A|01011989|Nam|Hà Nội|01012022", "not a provisioning code"),
        ("https://example.vn/", "not a provisioning code"),
        (CODE.to_text()[:60], "damaged or was read only in part"),
        ("KIOSKPROV1:!!!!", "damaged"),
        (encoded({"api": "https://x", "extra": 1}), "not one this device understands"),
        (encoded([1, 2]), "not one this device understands"),
    ],
)
def test_anything_else_is_refused_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ProvisioningCodeError, match=message):
        parse_provisioning_code(text)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"office": "637"}, "office code is not 5 digits"),
        ({"role": "kitchen"}, "role is not one of"),
        ({"counter": None}, "needs a counter number"),
        ({"counter": 1000}, "needs a counter number"),
        ({"role": "lobby"}, "only a counter device has a counter number"),
        ({"device_id": "Counter 3"}, "device id"),
        ({"api_url": "ftp://x"}, "http"),
        ({"ca_sha256": "AB" * 32}, "CA fingerprint"),
        ({"office_name": " "}, "office name is empty"),
        ({"code": ""}, "enrolment code is empty"),
    ],
)
def test_bad_values_are_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ProvisioningCodeError, match=message):
        replace(CODE, **changes)


def test_a_bad_date_is_named_and_the_prefix_alone_tells_a_provisioning_scan() -> None:
    record = json.loads(base64.urlsafe_b64decode(CODE.to_text()[11:] + "=="))
    with pytest.raises(ProvisioningCodeError, match="code-list date"):
        parse_provisioning_code(encoded({**record, "date": "1 July 2025"}))
    assert is_provisioning_text(" ]Q1KIOSKPROV1:garbage")
    assert not is_provisioning_text("001089012345||Nguyễn Văn A")
