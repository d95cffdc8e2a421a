"""`kiosk provision`: what this device is and its enrolment, in one step and without a screen,
for scripted installs: from flags, or from the text of a provisioning QR (--qr-text)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.registry import CommandError, command
from kiosk.roles import ROLES

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.provisioning import DeviceSetup, Enrolling

# What --qr-text already says, so that it is not also given by a flag.
_CODE_FLAGS = (
    "role",
    "device_id",
    "office",
    "code_list_date",
    "office_name",
    "counter",
    "api_url",
    "code",
    "ca_sha256",
)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--qr-text", help="the text of a provisioning QR (KIOSKPROV1:...)")
    parser.add_argument("--role", choices=ROLES, help="what the device is")
    parser.add_argument("--device-id", help="the device id, e.g. counter-03")
    parser.add_argument("--office", help="the 5-digit ward code, e.g. 00637")
    parser.add_argument(
        "--code-list-date", type=date.fromisoformat, help="the ward code list's date, YYYY-MM-DD"
    )
    parser.add_argument("--office-name", help='the office\'s name, e.g. "Phường Đại Mỗ"')
    parser.add_argument("--counter", type=int, help="the counter number (counter role)")
    parser.add_argument("--api-url", help="the central server, e.g. https://kiosk.example.vn")
    parser.add_argument("--code", help="the one-time enrolment code (kiosk-central enroll-code)")
    parser.add_argument("--ca", type=Path, help="PEM file of the city's own CA")
    parser.add_argument("--ca-sha256", help="SHA-256 fingerprint of the city's CA certificate")
    parser.add_argument("--printer", help="the printer's port, e.g. /dev/kiosk-printer")
    parser.add_argument("--profile", help="the printer's profile in printers.toml")
    parser.add_argument("--scanner", help="the QR scanner's serial port, e.g. /dev/ttyACM0")
    parser.add_argument("--language", choices=("vi", "en"), help="the screens' language")
    parser.add_argument(
        "--idle-timeout", type=int, help="lobby: seconds before a screen returns to welcome"
    )
    parser.add_argument(
        "--rating-seconds", type=int, help="counter: seconds the citizen has to rate (5..600)"
    )


@command(
    "provision",
    "set what this device is (role, office, counter, ports) and enrol it, in one step",
    _arguments,
)
def cmd_provision(args: argparse.Namespace, config: Config) -> int:
    from kiosk.config.shipped_defaults import shipped_secrets_in_use
    from kiosk.config.site_writer import site_file
    from kiosk.provisioning import ProvisioningError, provision

    setup, enrolling = _from_arguments(args)
    try:
        provisioned, enrolment = provision(args.config, setup, enrolling)
    except ProvisioningError as error:
        raise CommandError(str(error)) from error
    device = provisioned.device
    counter = f", counter {provisioned.counter.number}" if device.role == "counter" else ""
    print(
        f"Provisioned as {device.id} ({device.role}{counter}) of office"
        f" {provisioned.office.code} {provisioned.office.name}; the settings are in"
        f" {site_file(args.config)}."
    )
    if enrolment is not None:
        print(f"Enrolled with {enrolment.api_url}.")
    else:
        print("Not enrolled: give --api-url and --code (or --qr-text) to enrol.")
    print("The app applies it at its next start: sudo systemctl restart kiosk")
    for warning in shipped_secrets_in_use(provisioned):
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


def _from_arguments(args: argparse.Namespace) -> tuple[DeviceSetup, Enrolling | None]:
    """The settings and the enrolment the command line asks for, or a sentence saying what is
    missing."""
    from dataclasses import replace

    from common.provisioning_code import ProvisioningCodeError, parse_provisioning_code
    from kiosk.provisioning import DeviceSetup, Enrolling, from_provisioning_code

    local = {
        "language": args.language,
        "printer": args.printer,
        "profile": args.profile,
        "scanner": args.scanner,
        "idle_timeout": args.idle_timeout,
        "rating_seconds": args.rating_seconds,
    }
    if args.qr_text is not None:
        given = [f"--{name.replace('_', '-')}" for name in _CODE_FLAGS if getattr(args, name)]
        if given:
            raise CommandError(f"--qr-text already says what {', '.join(given)} would.")
        try:
            setup, enrolling = from_provisioning_code(parse_provisioning_code(args.qr_text))
        except ProvisioningCodeError as error:
            raise CommandError(f"--qr-text: {error}") from error
        return replace(setup, **local), replace(enrolling, ca_bundle=args.ca)
    required = ("role", "device_id", "office", "code_list_date", "office_name")
    missing = [f"--{name.replace('_', '-')}" for name in required if not getattr(args, name)]
    if missing:
        raise CommandError(f"Say what this device is: {', '.join(missing)} (or --qr-text).")
    if (args.role == "counter") != (args.counter is not None):
        raise CommandError("--counter goes with --role counter, and only with it.")
    if bool(args.api_url) != bool(args.code):
        raise CommandError("--api-url and --code go together.")
    if not args.api_url and (args.ca or args.ca_sha256):
        raise CommandError("--ca and --ca-sha256 are for the enrolment: add --api-url and --code.")
    setup = DeviceSetup(
        role=args.role,
        device_id=args.device_id,
        office=args.office,
        code_list_date=args.code_list_date,
        office_name=args.office_name,
        counter=args.counter,
        **local,
    )
    if not args.api_url:
        return setup, None
    return setup, Enrolling(args.api_url, args.code, (args.ca_sha256 or "").lower(), args.ca)
