"""Provisioning: what a device is (role, office, counter, ports), written to the site's
kiosk.toml, and its enrolment with the central server, as one step.

Used by `kiosk provision` (flags or a provisioning code's text) and by the setup screen (a form,
or the provisioning QR scanned). The order is chosen so that a failure loses nothing: the new
site file is checked first; then the device enrols with the one-time code (as the data folder's
owner, kiosk.data_owner), so a refused code leaves the device as it was; then the site file is
saved atomically. The code's role, office and device must match the settings (kiosk.enrolment
refuses anything else before storing a token); a counter takes the counter number of its code.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from common.provisioning_code import ProvisioningCode
from kiosk.ca_pinning import PinningError, pinned_from_server, pinned_in_bundle
from kiosk.config import Config, ConfigError, load_config
from kiosk.config.site_writer import Changes, prepare_site_config
from kiosk.data_owner import as_data_owner
from kiosk.enrolment import Enrolment, EnrolmentError, enroll


class ProvisioningError(Exception):
    """Provisioning failed; the message is one plain sentence and says what was kept."""


@dataclass(frozen=True)
class DeviceSetup:
    """The settings provisioning writes; None: the site file's (or the shipped) value stays."""

    role: str
    device_id: str
    office: str
    code_list_date: date
    office_name: str
    counter: int | None = None
    language: str | None = None
    printer: str | None = None
    profile: str | None = None
    scanner: str | None = None  # a serial scanner's port (scanner mode "serial")
    idle_timeout: int | None = None  # lobby: seconds before a screen returns to the welcome
    rating_seconds: int | None = None  # counter: seconds the citizen has to rate

    def changes(self) -> Changes:
        changes: dict[str, dict[str, Any]] = {
            "office": {
                "code": self.office,
                "code_list_date": self.code_list_date.isoformat(),
                "name": self.office_name,
            },
            "device": {"id": self.device_id, "role": self.role},
        }
        if self.language is not None:
            changes["device"]["language"] = self.language
        if self.counter is not None:
            changes["counter"] = {"number": self.counter}
        if self.rating_seconds is not None:
            changes.setdefault("counter", {})["rating_seconds"] = self.rating_seconds
        printer = {"url": self.printer, "profile": self.profile}
        if any(printer.values()):
            changes["printer"] = {key: value for key, value in printer.items() if value}
        if self.scanner:
            changes["scanner"] = {"mode": "serial", "url": self.scanner}
        if self.idle_timeout is not None:
            changes["lobby"] = {"idle_timeout": self.idle_timeout}
        return changes


@dataclass(frozen=True)
class Enrolling:
    """The enrolment of a provisioning: where, with which code, trusting which CA."""

    api_url: str
    code: str
    ca_sha256: str = ""  # the city CA's fingerprint; "" with no bundle: the system's CAs
    ca_bundle: Path | None = None  # the city CA's PEM file, brought by the technician


def from_provisioning_code(code: ProvisioningCode) -> tuple[DeviceSetup, Enrolling]:
    setup = DeviceSetup(
        role=code.role,
        device_id=code.device_id,
        office=code.office,
        code_list_date=code.code_list_date,
        office_name=code.office_name,
        counter=code.counter,
    )
    return setup, Enrolling(code.api_url, code.code, code.ca_sha256)


def provision(
    override: Path | None,
    setup: DeviceSetup,
    enrolling: Enrolling | None,
    *,
    before_rename: Callable[[Path], None] | None = None,
) -> tuple[Config, Enrolment | None]:
    """Provision and enrol this device; returns the configuration now read and the enrolment.

    `override` is the --config value (None: /etc/kiosk). `before_rename` goes to the save
    (kiosk.config.site_writer).
    """
    try:
        site = prepare_site_config(override, setup.changes())
    except ConfigError as error:
        raise ProvisioningError(f"Nothing was changed: {error}.") from None
    enrolment = None
    if enrolling is not None:
        pem = _ca_certificate(enrolling, site.config.central.timeout)
        with as_data_owner(site.config.device.data_dir):
            enrolment = _enroll(site.config, enrolling, pem)
        if setup.role == "counter" and enrolment.counter not in (None, setup.counter):
            # The server's code is for another counter number: its number is the one the
            # server accepts events for (and was checked by the server, not typed).
            setup = replace(setup, counter=enrolment.counter)
            site = prepare_site_config(override, setup.changes())
    try:
        site.save(before_rename=before_rename)
    except OSError as error:
        kept = "the device is enrolled, but " if enrolment else ""
        raise ProvisioningError(
            f"{kept}{site.path} cannot be written: {error.strerror or error}; run the"
            " provisioning again without the code once the folder can be written."
        ) from None
    return load_config(override), enrolment


def _ca_certificate(enrolling: Enrolling, timeout: float) -> bytes | None:
    """The PEM the enrolment trusts: the pinned CA, the brought bundle, or None (system CAs)."""
    if enrolling.ca_bundle is not None:
        try:
            pem = enrolling.ca_bundle.read_bytes()
        except OSError as error:
            raise ProvisioningError(
                f"Nothing was changed: --ca {enrolling.ca_bundle}: {error.strerror or error}."
            ) from None
        if not enrolling.ca_sha256:
            return pem
        try:
            pinned = pinned_in_bundle(pem, enrolling.ca_sha256)
        except ValueError:
            pinned = None
        if pinned is None:
            raise ProvisioningError(
                f"Nothing was changed: {enrolling.ca_bundle} holds no certificate with the"
                " fingerprint of the provisioning code."
            )
        return pinned
    if not enrolling.ca_sha256:
        return None
    try:
        return pinned_from_server(enrolling.api_url, enrolling.ca_sha256, timeout)
    except PinningError as error:
        raise ProvisioningError(f"Nothing was changed: {error}") from None


def _enroll(config: Config, enrolling: Enrolling, pem: bytes | None) -> Enrolment:
    with tempfile.TemporaryDirectory(prefix="kiosk-ca-") as folder:
        bundle = None
        if pem is not None:
            bundle = Path(folder) / "ca.pem"
            bundle.write_bytes(pem)
        try:
            return enroll(config, api_url=enrolling.api_url, code=enrolling.code, ca_bundle=bundle)
        except EnrolmentError as error:
            raise ProvisioningError(f"Nothing was changed: {error}") from None
