"""Provisioning QRs of the tests, as `kiosk-central enroll-code --api-url` makes them: a fresh
one-time code of the server's, with what the device is."""

from __future__ import annotations

from datetime import date

from common.provisioning_code import ProvisioningCode
from tests.support.central import issue_enroll_code
from tests.support.device import OFFICE


def provisioning_text(
    api_url: str,
    database_url: str,
    role: str,
    device_id: str,
    *,
    office_name: str = "Phường Đại Mỗ",
    ca_sha256: str = "",
) -> str:
    """The text of a provisioning QR for a new code of the server at `api_url`."""
    return ProvisioningCode(
        api_url=api_url,
        ca_sha256=ca_sha256,
        office=OFFICE,
        code_list_date=date(2025, 7, 1),
        office_name=office_name,
        role=role,
        counter=None,
        device_id=device_id,
        code=issue_enroll_code(database_url, OFFICE, role, device_id=device_id),
    ).to_text()
