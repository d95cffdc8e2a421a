"""TLS for real: a city CA and a server certificate for 127.0.0.1 made here, the central server
serving HTTPS with them (`kiosk-central serve --tls-cert --tls-key`). The device trusts the
configured CA bundle and refuses a server whose certificate another authority signed."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.enrolment import CA_COPY_FILE, ENROLMENT_FILE, EnrolmentError, enroll
from tests.support.central import CentralProcess, central_event_ids, issue_enroll_code
from tests.support.device import DEVICE, OFFICE, device_config, enrol
from tests.support.events import ticket_events
from tests.support.sync import SyncingDevice


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_pem(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


CA = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def make_ca(pem: Path) -> CA:
    """A certificate authority (as a city runs its own); its certificate is written to `pem`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name(pem.stem))
        .issuer_name(name(pem.stem))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_pem(pem, certificate)
    return key, certificate


def make_server_cert(folder: Path, ca: CA) -> tuple[Path, Path]:
    """A certificate for https://127.0.0.1 signed by `ca`; returns (certificate, key) files."""
    ca_key, ca_certificate = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name("central.test"))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return write_pem(folder / "server.pem", certificate), key_file


def serve_tls(folder: Path, ca_pem: Path, signer: CA) -> CentralProcess:
    """The real server on https://127.0.0.1 with a certificate `signer` made."""
    return CentralProcess.in_folder(folder, tls=make_server_cert(folder, signer), ca=ca_pem)


def test_the_device_enrols_and_syncs_over_tls_trusting_the_city_ca(tmp_path: Path) -> None:
    city = make_ca(tmp_path / "city-ca.pem")
    config = device_config(tmp_path)
    with serve_tls(tmp_path / "central", tmp_path / "city-ca.pem", city) as central:
        central.start()
        assert central.url.startswith("https://127.0.0.1:")
        enrolment = enrol(config, central, ca_bundle=tmp_path / "city-ca.pem")
        (tmp_path / "city-ca.pem").unlink()  # the USB stick is gone: the device kept a copy
        assert enrolment.ca_bundle == config.device.data_dir / CA_COPY_FILE
        with SyncingDevice(config) as device:
            written = device.write(ticket_events(50))
            device.drained()
        assert central_event_ids(central.database) == Counter(dict.fromkeys(written, 1))


def test_a_server_whose_certificate_another_authority_signed_is_refused(tmp_path: Path) -> None:
    city_pem, impostor_pem = tmp_path / "city-ca.pem", tmp_path / "impostor-ca.pem"
    city, impostor_ca = make_ca(city_pem), make_ca(impostor_pem)
    config = device_config(tmp_path)
    with (
        serve_tls(tmp_path / "central", city_pem, city) as central,
        serve_tls(tmp_path / "impostor", impostor_pem, impostor_ca) as impostor,
    ):
        central.start()
        impostor.start()
        code = issue_enroll_code(impostor.database_url, OFFICE, "lobby", device_id=DEVICE)
        for bundle in (city_pem, None):  # the city's CA, then the system's authorities
            with pytest.raises(EnrolmentError, match="Cannot verify the central server at"):
                enroll(config, api_url=impostor.url, code=code, ca_bundle=bundle)
        assert not (config.device.data_dir / ENROLMENT_FILE).exists()

        enrol(config, central, ca_bundle=city_pem)
        redirected = device_config(tmp_path, f'url = "{impostor.url}"\nca_bundle = "{city_pem}"')
        with SyncingDevice(redirected) as device:
            device.write(ticket_events(5))
            refused = device.status.wait_for(lambda s: s.state == "offline" and s.pending == 5)
        assert "Cannot verify the central server at" in refused.last_error
        assert "(unable to get local issuer certificate)" in refused.last_error
        assert central_event_ids(impostor.database) == Counter()
