"""Enrolment: a one-time code from the city exchanged for this device's token.

What the server answered is kept in `<data_dir>/central.json`, written atomically with mode
0600: `{api_url, device_id, office, role, counter, token, ca_bundle}`. A CA bundle given at
enrolment is copied next to it (`central-ca.pem`), so the USB stick it came on can go. The
token is never printed or logged.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common.atomic_files import write_atomically
from common.version import __version__
from kiosk.central_client import CentralClient, CentralError
from kiosk.config import Config, central_url_problem

log = logging.getLogger(__name__)

ENROLMENT_FILE = "central.json"
CA_COPY_FILE = "central-ca.pem"


class EnrolmentError(Exception):
    """Enrolment failed, or its file cannot be used; the message is one plain sentence."""


@dataclass(frozen=True)
class Enrolment:
    api_url: str
    device_id: str
    office: str
    role: str
    counter: int | None
    token: str = field(repr=False)
    ca_bundle: Path | None  # the copy of the CA bundle given at enrolment


def enroll(config: Config, *, api_url: str, code: str, ca_bundle: Path | None) -> Enrolment:
    """Enrol this device (its configured id and role) with the central server at `api_url`.

    The server's answer is stored only if it names this device's configured office, id and
    role: events of any other would all be rejected.
    """
    api_url = api_url.rstrip("/")
    problem = central_url_problem(api_url)
    if problem is not None:
        raise EnrolmentError(f"--api {api_url}: {problem}.")
    pem = None if ca_bundle is None else _read_ca_bundle(ca_bundle)
    device = {"id": config.device.id, "role": config.device.role, "version": __version__}
    client = CentralClient(api_url, ca_bundle=ca_bundle, timeout=config.central.timeout)
    try:
        reply = client.enroll(code.strip(), device)
    except CentralError as error:
        raise EnrolmentError(str(error)) from None
    finally:
        client.close()
    nothing = "nothing was stored"
    if reply.office != config.office.code:
        raise EnrolmentError(
            f"This enrolment code is for office {reply.office}, but this device is configured"
            f" for office {config.office.code} ([office] code); {nothing}. Ask for a code for"
            f" office {config.office.code}."
        )
    if reply.device_id != config.device.id:
        raise EnrolmentError(
            f"This enrolment code is for device {reply.device_id}, but this device is"
            f" configured as {config.device.id} ([device] id); {nothing}."
        )
    if reply.role != config.device.role:
        raise EnrolmentError(
            f"This enrolment code is for a {reply.role} device, but this device is configured"
            f" as {config.device.role} ([device] role); {nothing}."
        )
    data_dir = config.device.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ca_copy = None
        if pem is not None:
            ca_copy = data_dir / CA_COPY_FILE
            write_atomically(ca_copy, pem, 0o644)
        enrolment = Enrolment(
            api_url=api_url,
            device_id=reply.device_id,
            office=reply.office,
            role=reply.role,
            counter=reply.counter,
            token=reply.token,
            ca_bundle=ca_copy,
        )
        record = {**asdict(enrolment), "ca_bundle": None if ca_copy is None else str(ca_copy)}
        write_atomically(data_dir / ENROLMENT_FILE, json.dumps(record, indent=2).encode(), 0o600)
    except OSError as error:
        raise EnrolmentError(
            f"Enrolled, but the token cannot be stored in {data_dir}: {error.strerror or error};"
            " ask for a new code once the data folder can be written."
        ) from None
    return enrolment


def load_enrolment(data_dir: Path) -> Enrolment | None:
    """This device's enrolment, or None when it has not been enrolled.

    A file readable by others is made private (0600), with a warning.
    """
    path = data_dir / ENROLMENT_FILE
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                os.fchmod(f.fileno(), 0o600)
                log.warning("%s was readable by others; its mode is now 0600", path)
            text = f.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise EnrolmentError(f"{path} cannot be read: {error.strerror or error}.") from None
    try:
        record = json.loads(text)
        counter = record["counter"]
        ca_bundle = record.get("ca_bundle")
        enrolment = Enrolment(
            api_url=record["api_url"],
            device_id=record["device_id"],
            office=record["office"],
            role=record["role"],
            counter=counter,
            token=record["token"],
            ca_bundle=None if ca_bundle is None else Path(ca_bundle),
        )
        texts = (enrolment.api_url, enrolment.device_id, enrolment.office, enrolment.token)
        if not all(isinstance(text, str) and text for text in texts):
            raise ValueError("empty field")
        if counter is not None and (not isinstance(counter, int) or isinstance(counter, bool)):
            raise ValueError("counter")
    except (ValueError, KeyError, TypeError):
        raise EnrolmentError(
            f"{path} is damaged; enrol the device again with `kiosk enroll`."
        ) from None
    return enrolment


def enrolment_stamp(data_dir: Path) -> tuple[int, int, int] | None:
    """Changes whenever the enrolment file is replaced (re-enrolment), None without one."""
    try:
        info = (data_dir / ENROLMENT_FILE).stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _read_ca_bundle(path: Path) -> bytes:
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise EnrolmentError(f"--ca-bundle {path}: {error.strerror or error}.") from None
    try:
        from cryptography import x509  # imported on first use: ~7 MB of RSS

        x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise EnrolmentError(
            f"--ca-bundle {path}: not a PEM file of certificates (-----BEGIN CERTIFICATE-----)."
        ) from None
    return pem


class CentralLink:
    """The central client this device uses now, from `[central]` and its enrolment.

    `[central] url`, when set, wins (with `[central] ca_bundle`); else the address and CA given
    at enrolment are used (`[central] ca_bundle`, when set, still wins). The client is built
    again whenever the enrolment file is replaced, so `kiosk enroll` takes effect in a running
    app. Used by the sync worker's thread only.
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._stamp: object = object()  # equal to no real stamp: the first call builds
        self._client: CentralClient | None = None
        self.problem = ""

    def current(self) -> CentralClient | None:
        """The client to use, or None when sync is off (`problem` says why)."""
        stamp = enrolment_stamp(self._config.device.data_dir)
        if stamp != self._stamp:
            self._stamp = stamp
            self.close()
            try:
                self._client = self._build()
                self.problem = ""
            except EnrolmentError as error:
                self._client = None
                self.problem = str(error)
                log.warning("sync is off: %s", self.problem)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _build(self) -> CentralClient:
        config = self._config
        enrolment = load_enrolment(config.device.data_dir)
        if enrolment is None:
            raise EnrolmentError(
                "Sync is off: this device is not enrolled with a central server"
                " (kiosk enroll --api URL --code CODE)."
            )
        if (enrolment.office, enrolment.device_id) != (config.office.code, config.device.id):
            raise EnrolmentError(
                f"Sync is off: the device was enrolled as {enrolment.device_id} of office"
                f" {enrolment.office} but is configured as {config.device.id} of office"
                f" {config.office.code}; enrol it again."
            )
        central = config.central
        if central.url:
            url, ca_bundle = central.url, central.ca_bundle
        else:
            url, ca_bundle = enrolment.api_url, central.ca_bundle or enrolment.ca_bundle
        return CentralClient(
            url, token=enrolment.token, ca_bundle=ca_bundle, timeout=central.timeout
        )
