"""`kiosk badge`, `kiosk badge-key`, `kiosk ticket-key` and `kiosk hash-pin`: officers' badges,
the keys devices share to check badges and tickets, and the hashes of PINs."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.registry import CommandError, command
from kiosk.config import hash_pin

if TYPE_CHECKING:
    from kiosk.config import Config


def _badge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--officer", required=True, help="the officer id in officers.toml")
    parser.add_argument("--png", type=Path, help="also save the QR as a PNG file for printing")


@command("badge", "print an officer's badge QR (sign-in at a counter)", _badge_arguments)
def cmd_badge(args: argparse.Namespace, config: Config) -> int:
    import qrcode

    from common.key_files import KeyFileError
    from kiosk.badges import badge_key, sign_badge

    if config.officer(args.officer) is None:
        known = ", ".join(officer.id for officer in config.officers)
        raise CommandError(f"No officer {args.officer!r} in officers.toml (there are: {known}).")
    try:
        key = badge_key(config.device.data_dir)
    except KeyFileError as error:
        raise CommandError(str(error)) from error
    if key is None:
        raise CommandError(
            f"No office badge key in {config.device.data_dir}: install the office's with"
            " `kiosk badge-key --import FILE` (or make one with `kiosk badge-key --export FILE`)."
        )
    payload = sign_badge(office=config.office.code, officer_id=args.officer, key=key)
    print(payload)
    code = qrcode.QRCode(border=2)
    code.add_data(payload)
    code.print_ascii(out=sys.stdout, invert=True)
    if args.png:
        try:
            qrcode.make(payload, box_size=10, border=4).save(args.png)
        except OSError as error:
            raise CommandError(f"Cannot write {args.png}: {error.strerror or error}.") from error
        print(f"QR saved to {args.png} for printing.")
    return 0


def _badge_key_arguments(parser: argparse.ArgumentParser) -> None:
    way = parser.add_mutually_exclusive_group(required=True)
    way.add_argument("--import", dest="import_file", type=Path, help="install it from FILE")
    way.add_argument(
        "--export", dest="export_file", type=Path, help="write it to FILE (made if none yet)"
    )


@command("badge-key", "copy the office badge key between devices", _badge_key_arguments)
def cmd_badge_key(args: argparse.Namespace, config: Config) -> int:
    from common.key_files import KeyFileError
    from kiosk.badges import BADGE_KEY_FILE, export_badge_key, import_badge_key

    data_dir = config.device.data_dir
    try:
        if args.import_file:
            import_badge_key(data_dir, args.import_file)
            print(f"Office badge key installed in {data_dir / BADGE_KEY_FILE}.")
        else:
            created = export_badge_key(data_dir, args.export_file)
            made = "Made a new office badge key; " if created else ""
            print(
                f"{made}written to {args.export_file}. Install it on every counter of the"
                " office with `kiosk badge-key --import FILE`, then delete the file."
            )
    except (KeyFileError, OSError) as error:
        raise CommandError(_key_problem(error)) from error
    return 0


def _ticket_key_arguments(parser: argparse.ArgumentParser) -> None:
    way = parser.add_mutually_exclusive_group(required=True)
    way.add_argument(
        "--export", dest="export_file", type=Path, help="on the lobby: write its key to FILE"
    )
    way.add_argument(
        "--import", dest="import_file", type=Path, help="on a counter: trust the key in FILE"
    )
    parser.add_argument("--device-id", help="with --import: the lobby device id, e.g. lobby-01")


@command(
    "ticket-key",
    "copy a lobby's ticket key to a counter, so it can verify ticket QR codes offline",
    _ticket_key_arguments,
)
def cmd_ticket_key(args: argparse.Namespace, config: Config) -> int:
    from common.key_files import KeyFileError
    from kiosk.ticket_keys import TicketKeys, export_device_key

    data_dir = config.device.data_dir
    try:
        if args.export_file:
            if args.device_id:
                raise CommandError("--device-id goes with --import only.")
            export_device_key(data_dir, args.export_file)
            print(
                f"Ticket key of {config.device.id} written to {args.export_file}. On each"
                f" counter: kiosk ticket-key --import FILE --device-id {config.device.id}"
            )
            return 0
        if not args.device_id:
            raise CommandError("--import needs --device-id: the lobby device the key is of.")
        path = TicketKeys(data_dir).import_key(args.import_file, args.device_id)
        print(f"Tickets of {args.device_id} are now verified with the key in {path}.")
    except (KeyFileError, OSError, ValueError) as error:
        raise CommandError(_key_problem(error)) from error
    return 0


@command("hash-pin", "print the hash of a technician PIN for kiosk.toml")
def cmd_hash_pin(args: argparse.Namespace, config: Config) -> int:
    pin = getpass.getpass("New technician PIN (digits): ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise CommandError("A PIN is 4 to 12 digits.")
    if getpass.getpass("Again: ") != pin:
        raise CommandError("The two PINs differ.")
    print(f'[technician]\npin_hash = "{hash_pin(pin)}"')
    return 0


def _key_problem(error: Exception) -> str:
    """One sentence for a key file that cannot be read or written."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}."
    return f"{error}."
