"""The kiosk-central command line, run as a real process."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from central.cli import main
from tests.support.api import Api, Events
from tests.support.central import running_central_process
from tests.support.processes import REPO_ROOT

CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def kiosk_central(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "central", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
    )


def one_sentence(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_an_enrolment_code_from_the_command_line_enrols_once(
    base_url: str, database_url: str, office: str
) -> None:
    made = kiosk_central(
        "enroll-code", "--db", database_url, "--office", office, "--role", "counter",
        "--counter", "4", "--device-id", "counter-04",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert CODE.fullmatch(lines[0])
    assert f"office {office}, role counter, counter 4, device counter-04" in lines[1]
    assert sum(bool(set(line) & set("█▀▄")) for line in lines[2:]) >= 10  # the QR, in text
    body = {"code": lines[0], "device": {"role": "counter"}}
    enrolled = httpx.post(f"{base_url}/api/v1/enroll", json=body)
    assert enrolled.status_code == 200
    assert (enrolled.json()["device_id"], enrolled.json()["counter"]) == ("counter-04", 4)
    assert httpx.post(f"{base_url}/api/v1/enroll", json=body).status_code == 400


def test_a_display_is_enrolled_with_a_code_from_the_command_line(
    base_url: str, database_url: str, office: str
) -> None:
    made = kiosk_central(
        "enroll-code", "--db", database_url, "--office", office, "--role", "display",
        "--device-id", "display-01",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    code, facts = made.stdout.splitlines()[:2]
    assert f"office {office}, role display, device display-01" in facts
    body = {"code": code, "device": {"role": "display"}}
    enrolled = httpx.post(f"{base_url}/api/v1/enroll", json=body)
    assert enrolled.status_code == 200, enrolled.text
    assert (enrolled.json()["role"], enrolled.json()["counter"]) == ("display", None)


def test_viewer_token_and_revoke(base_url: str, database_url: str, office: str) -> None:
    made = kiosk_central("viewer-token", "--db", database_url, "--office", office)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    viewer_id = re.search(r"--device-id (viewer-[0-9a-f]{8})", made.stderr)[1]
    with Api(base_url, token, office=office) as viewer:
        assert viewer.queue().status_code == 200
        revoked = kiosk_central(
            "revoke", "--db", database_url, "--office", office, "--device-id", viewer_id
        )
        assert revoked.returncode == 0, revoked.stderr
        assert viewer.queue().status_code == 401
    again = kiosk_central(
        "revoke", "--db", database_url, "--office", office, "--device-id", viewer_id
    )
    assert again.returncode == 1
    assert one_sentence(again.stderr) == f"Office {office} has no live token for '{viewer_id}'."


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["enroll-code", "--office", "637", "--role", "lobby"], "is not a 5-digit office code"),
        (["enroll-code", "--office", "00637", "--role", "counter"], "needs --counter"),
        (["enroll-code", "--office", "00637", "--role", "lobby", "--counter", "2"], "only for"),
        (["enroll-code", "--office", "00637", "--role", "viewer"], "invalid choice"),
        (["enroll-code", "--office", "00637", "--role", "display", "--counter", "2"], "only for"),
        (["viewer-token", "--office", "00637", "--db", "mysql://x/y"], "is not supported"),
        (["viewer-token", "--office", "00637", "--db", "sqlite://"], "needs a file path"),
        (["serve", "--tls-cert", "cert.pem"], "go together"),
        (["serve", "--timezone", "Mars/Olympus"], "not a known time zone"),
        (["serve", "--silent-after", "0"], "is not a number of minutes from 1 to 10080"),
        (["revoke", "--office", "**", "--device-id", "monitor-1"], "is not a 5-digit office"),
        ([], "required: COMMAND"),
    ],
)
def test_a_wrong_command_line_is_one_sentence_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # in-process (fast): argparse and main() as the console script
    try:
        status = main(args)
    except SystemExit as exit:
        status = exit.code
    assert status == 2
    assert says in one_sentence(capsys.readouterr().err)
    assert not list(tmp_path.iterdir())  # nothing created


def test_failures_are_one_sentence_and_exit_1(tmp_path: Path) -> None:
    unreachable = kiosk_central(
        "viewer-token", "--office", "00637",
        "--db", "postgresql+psycopg://kiosk:secret@127.0.0.1:1/nowhere",
    )  # fmt: skip
    assert unreachable.returncode == 1
    message = one_sentence(unreachable.stderr)
    assert message.startswith("Cannot open the database postgresql+psycopg://kiosk:***@")
    assert "secret" not in message
    (tmp_path / "cert.pem").write_text("not a certificate")
    bad_tls = kiosk_central(
        "serve", "--tls-cert", "cert.pem", "--tls-key", "cert.pem", cwd=tmp_path
    )
    assert bad_tls.returncode == 1
    assert one_sentence(bad_tls.stderr).startswith("Cannot use the TLS certificate and key")


def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = kiosk_central("serve", "--port", port, cwd=tmp_path)
    assert result.returncode == 1
    assert one_sentence(result.stderr) == (
        f"Cannot listen on 127.0.0.1 port {port}: Address already in use."
    )


def test_the_default_database_is_central_db_in_the_current_folder(tmp_path: Path) -> None:
    result = kiosk_central("enroll-code", "--office", "00637", "--role", "lobby", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "central.db").exists()


def test_serve_logs_requests_without_personal_data(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    log = tmp_path / "serve.log"
    office = "00637"
    made = kiosk_central(
        "enroll-code", "--db", database_url, "--office", office, "--role", "lobby",
        "--device-id", "lobby-01",
    )  # fmt: skip
    code = made.stdout.splitlines()[0]
    make = Events(office)
    ticket = make.issued("1001")
    identity = make.identified(ticket)
    with running_central_process(database_url, log) as base_url:
        enrolled = httpx.post(
            f"{base_url}/api/v1/enroll", json={"code": code, "device": {"role": "lobby"}}
        ).json()
        with Api(base_url, enrolled["token"], office=office) as lobby:
            assert [r["status"] for r in lobby.results([ticket, identity])] == ["accepted"] * 2
            broken = {**identity, "id": str(uuid.uuid4()), "schema": 7}
            assert lobby.results([broken])[0]["status"] == "rejected"
    text = log.read_text()
    assert '"POST /api/v1/events HTTP/1.1" 200' in text
    for personal in ("001099012345", "Nguyễn", "Nguy", enrolled["token"], code):
        assert personal not in text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.now(UTC) - timedelta(minutes=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_serve_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central_process(database_url, tls=(cert, key)) as base_url:
        assert base_url.startswith("https://")
        trusted = ssl.create_default_context(cafile=cert)
        health = httpx.get(f"{base_url}/api/v1/health", verify=trusted)
        assert health.json()["status"] == "ok"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base_url}/api/v1/health")  # not trusted without the certificate
