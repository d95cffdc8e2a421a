"""A provisioning code pins the city CA by its fingerprint (`kiosk-central enroll-code
--ca-cert`): the device finds the CA in the chain the real HTTPS server presents, enrols trusting
only it, and keeps a copy; a server that does not present that CA is refused with nothing
changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from common.provisioning_code import parse_provisioning_code
from kiosk.config import load_config
from kiosk.enrolment import CA_COPY_FILE, ENROLMENT_FILE, load_enrolment
from kiosk.provisioning import ProvisioningError, from_provisioning_code, provision
from tests.support.central import CentralProcess
from tests.support.device import OFFICE, write_override
from tests.test_sync_tls import make_ca, make_server_cert


def code_for(central: CentralProcess, ca_cert: Path) -> str:
    """The provisioning QR's text as `kiosk-central enroll-code --ca-cert` prints it."""
    made = central.run_cli(
        "enroll-code",
        "--office",
        OFFICE,
        "--role",
        "display",
        "--device-id",
        "display-01",
        "--api-url",
        central.url,
        "--office-name",
        "Phường Đại Mỗ",
        "--code-list-date",
        "2025-07-01",
        "--ca-cert",
        str(ca_cert),
    )
    assert made.returncode == 0, made.stderr
    return next(line for line in made.stdout.splitlines() if "KIOSKPROV1:" in line).split()[-1]


def test_the_device_trusts_the_ca_whose_fingerprint_the_code_holds(tmp_path: Path) -> None:
    city = make_ca(tmp_path / "city-ca.pem")
    ca_cert = city[1]
    make_ca(tmp_path / "impostor-ca.pem")
    cert, key = make_server_cert(tmp_path / "central", city)
    # The full chain, as a server presents it: its certificate, then the CA's.
    cert.write_bytes(cert.read_bytes() + ca_cert.public_bytes(Encoding.PEM))
    etc = write_override(tmp_path / "etc")
    data = tmp_path / "data"
    with CentralProcess.in_folder(
        tmp_path / "central", tls=(cert, key), ca=tmp_path / "city-ca.pem"
    ) as central:
        central.start()
        setup, enrolling = from_provisioning_code(
            parse_provisioning_code(code_for(central, tmp_path / "impostor-ca.pem"))
        )
        with pytest.raises(ProvisioningError, match="does not present the CA certificate"):
            provision(etc, setup, enrolling)
        assert not is_set(etc) and not (data / ENROLMENT_FILE).exists()
        code = parse_provisioning_code(code_for(central, tmp_path / "city-ca.pem"))
        assert code.ca_sha256 == hashlib.sha256(ca_cert.public_bytes(Encoding.DER)).hexdigest()
        setup, enrolling = from_provisioning_code(code)
        config, enrolment = provision(etc, setup, enrolling)
    assert (config.device.role, config.device.id) == ("display", "display-01")
    assert enrolment is not None and enrolment.ca_bundle == data / CA_COPY_FILE
    assert (data / CA_COPY_FILE).read_bytes() == ca_cert.public_bytes(Encoding.PEM)
    assert load_enrolment(data) == enrolment
    assert load_config(etc).device.role == "display"


def is_set(etc: Path) -> bool:
    return "role" in (etc / "kiosk.toml").read_text(encoding="utf-8")
