"""The `kiosk` command line: run the app, the demo, and the technician's tools.

Every failure a technician can meet (bad config, busy printer, unknown ticket) ends in one plain
sentence on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from common.version import __version__
from kiosk.config import Config, ConfigError, hash_pin, load_config

if TYPE_CHECKING:
    from kiosk.personal_data import PersonalData
    from kiosk.store import Store
    from kiosk.tickets import TicketService

KIVY_ENV = {
    "KIVY_NO_ARGS": "1",  # Kivy must not read our command line (it would eat --help)
    "KIVY_NO_CONFIG": "1",  # no ~/.kivy/config.ini: our config is in config/ and /etc/kiosk
    "KIVY_NO_FILELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
}


class CommandError(Exception):
    """A failure to report in one sentence (exit code 1)."""


def add_common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--config and --verbose, accepted before or after the command name."""
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="override folder (kiosk.toml, catalogue.toml, printers.toml) or kiosk.toml file; "
        "default /etc/kiosk",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log debug messages"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Ward one-stop office kiosk: queue tickets on a thermal printer.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    add_common_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", parents=[common], help="run the kiosk app on this device's hardware"
    )
    run.add_argument("--role", choices=["lobby", "counter"], help="override the device role")

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="central server, lobby kiosk (virtual printer and scanner) and counter 1 in a"
        " temporary data folder",
    )
    demo.add_argument("--data", type=Path, help="data folder (default: a new temporary one)")
    demo.add_argument("--size", default=None, help="window size WxH, e.g. 800x480")
    demo.add_argument("--baud", type=int, default=115200, help="virtual printer speed")
    demo.add_argument(
        "--office-hours",
        action="store_true",
        help="keep the configured opening hours (by default the demo lobby issues tickets at"
        " any hour, as a 24-hour site)",
    )
    demo.add_argument(
        "--no-counter",
        dest="counter",
        action="store_false",
        help="without counter 1's terminal (by default it opens in a second window, 800x480)",
    )

    test = commands.add_parser(
        "print-test", parents=[common], help="print a test page or a sample ticket"
    )
    test.add_argument("--ticket", action="store_true", help="a sample Vietnamese ticket instead")
    test.add_argument("--printer", help="printer URL (default: the configured one)")

    reprint = commands.add_parser(
        "reprint",
        parents=[common],
        help="print again, with the same number, tickets whose printing failed",
    )
    which = reprint.add_mutually_exclusive_group(required=True)
    which.add_argument("--failed", action="store_true", help="every failed ticket of today")
    which.add_argument("--number", help="the ticket number (label) of today, e.g. 1023")
    reprint.add_argument("--printer", help="printer URL (default: the configured one)")

    tickets = commands.add_parser(
        "tickets", parents=[common], help="list the tickets of a day and their state"
    )
    tickets.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    tickets.add_argument("--json", action="store_true", help="machine-readable output")

    enroll = commands.add_parser(
        "enroll",
        parents=[common],
        help="enrol this device with the central server, with a one-time code",
    )
    enroll.add_argument(
        "--api", required=True, help="the central server's address, e.g. https://kiosk.example.vn"
    )
    enroll.add_argument("--code", required=True, help="the enrolment code, e.g. 7K3M-Q9XD-2HTB")
    enroll.add_argument(
        "--ca-bundle", type=Path, help="PEM file of the city's own certificate authority"
    )

    sync = commands.add_parser(
        "sync", parents=[common], help="send the events waiting in the outbox to the central server"
    )
    sync.add_argument(
        "--once", action="store_true", required=True, help="send what can be sent now, then exit"
    )

    outbox = commands.add_parser(
        "outbox", parents=[common], help="events waiting to be sent, and quarantined ones"
    )
    outbox.add_argument("--json", action="store_true", help="machine-readable output")

    scan_test = commands.add_parser(
        "scan-test",
        parents=[common],
        help="show, masked, what the QR scanner reads and how the citizen ID parser takes it",
    )
    scan_test.add_argument(
        "--scanner", default="/dev/ttyACM0", help="scanner port or URL (default /dev/ttyACM0)"
    )
    scan_test.add_argument(
        "--suffix",
        choices=["auto", "CR", "LF", "CRLF"],
        default="auto",
        help="the line end the scanner sends (default auto: any of them)",
    )
    scan_test.add_argument("--count", type=int, help="stop after N scans (default: at Ctrl-C)")

    badge = commands.add_parser(
        "badge", parents=[common], help="print an officer's badge QR (sign-in at a counter)"
    )
    badge.add_argument("--officer", required=True, help="the officer id in officers.toml")
    badge.add_argument("--png", type=Path, help="also save the QR as a PNG file for printing")

    badge_key = commands.add_parser(
        "badge-key", parents=[common], help="copy the office badge key between devices"
    )
    badge_way = badge_key.add_mutually_exclusive_group(required=True)
    badge_way.add_argument("--import", dest="import_file", type=Path, help="install it from FILE")
    badge_way.add_argument(
        "--export", dest="export_file", type=Path, help="write it to FILE (made if none yet)"
    )

    ticket_key = commands.add_parser(
        "ticket-key",
        parents=[common],
        help="copy a lobby's ticket key to a counter, so it can verify ticket QR codes offline",
    )
    ticket_way = ticket_key.add_mutually_exclusive_group(required=True)
    ticket_way.add_argument(
        "--export", dest="export_file", type=Path, help="on the lobby: write its key to FILE"
    )
    ticket_way.add_argument(
        "--import", dest="import_file", type=Path, help="on a counter: trust the key in FILE"
    )
    ticket_key.add_argument("--device-id", help="with --import: the lobby device id, e.g. lobby-01")

    commands.add_parser(
        "check-config", parents=[common], help="validate the configuration and summarise it"
    )
    commands.add_parser(
        "hash-pin", parents=[common], help="print the hash of a technician PIN for kiosk.toml"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in ("run", "demo"):
        # One-off commands report failures themselves, in one sentence; -v shows the driver's log.
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.ERROR,
            format="%(levelname)s %(name)s: %(message)s",
        )
    try:
        config = load_config(args.config)
        return COMMANDS[args.command](args, config)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# ---------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    if args.role:
        config = dataclasses.replace(
            config, device=dataclasses.replace(config.device, role=args.role)
        )
    return _run_app(config, printer_url=None, verbose=args.verbose)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from devices.virtual_printer import VirtualPrinter
    from devices.virtual_scanner import VirtualScanner
    from kiosk.demo import DemoCentral, DemoError, start_demo_counter
    from kiosk.enrollment import EnrolmentError
    from kiosk.services import open_device_data

    data_dir = args.data or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    display = config.display
    if args.size:
        try:
            width, height = (int(part) for part in args.size.lower().split("x"))
        except ValueError:
            raise CommandError(
                f"--size {args.size}: write it as WIDTHxHEIGHT, e.g. 800x480"
            ) from None
        display = dataclasses.replace(display, width=width, height=height, fullscreen=False)
    office = config.office
    if not args.office_hours:
        office = dataclasses.replace(office, closed_outside_hours=False)
    config = dataclasses.replace(
        config,
        office=office,
        device=dataclasses.replace(config.device, data_dir=data_dir, role="lobby"),
        display=display,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    central = DemoCentral(
        data_dir, config.office.timezone.key, f"{config.office.day_starts_at:%H:%M}"
    )
    try:
        central.start()
        central.enrol(config)
    except (DemoError, EnrolmentError) as error:
        central.stop()
        raise CommandError(f"The demo's central server: {error}") from error
    printer = VirtualPrinter(
        data_dir / "printed", width_dots=config.printer_profile.width_dots, baud=args.baud
    )
    printer.start()
    scanner = VirtualScanner()
    config = dataclasses.replace(
        config,
        scanner=dataclasses.replace(config.scanner, mode="serial", url=scanner.device_path),
    )
    counter = None
    if args.counter:
        # The lobby's device key must exist before the counter imports it.
        open_device_data(config).close()
        counter = start_demo_counter(config, central, data_dir / "counter", (800, 480))
    print(
        f"Demo data folder: {data_dir}\n"
        f"Central server on {central.url} (database {data_dir / 'central.db'}); "
        f"the kiosk is enrolled as {config.device.id} of office {config.office.code}\n"
        f"Virtual printer on {printer.device_path}; printed tickets go to {data_dir / 'printed'}\n"
        "Keys: F5 paper out on/off, F6 cover open/closed, F7 printer offline/online, "
        "F8 printer stalled/running, F9 central server down/up, F10 the virtual scanner reads "
        "the next sample ID card (on the card step). "
        + ("Counter 1: officer PIN 1111 or 2222 (demo officers). " if args.counter else "")
        + "Technician menu: hold the status line for 3 s (PIN 246810).",
        flush=True,
    )
    try:
        return _run_app(
            config,
            printer_url=printer.device_path,
            verbose=args.verbose,
            demo_printer=printer,
            demo_central=central,
            demo_scanner=scanner,
        )
    finally:
        scanner.close()
        if counter is not None:
            counter.terminate()
            try:
                counter.wait(10)
            except subprocess.TimeoutExpired:
                counter.kill()
        printer.stop()
        central.stop()


def cmd_print_test(args: argparse.Namespace, config: Config) -> int:
    from devices.printer import PrintError
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR
    from kiosk.ticket_layout import build_sample_ticket_job, build_test_page_job

    now = datetime.now(config.office.timezone)
    if args.ticket:
        job = build_sample_ticket_job(config, Translator(LOCALE_DIR, "vi"), now)
    else:
        job = build_test_page_job(config.printer_profile, config.office, now)
    url = args.printer or config.printer.url
    printer = _printer(config, url)
    try:
        printer.print_job(job)
    except PrintError as error:
        raise CommandError(f"Printing on {url} failed: {error}{_busy_hint(error)}") from error
    finally:
        printer.stop()
    print(f"Printed {'a sample ticket' if args.ticket else 'a test page'} on {url}.")
    return 0


def cmd_reprint(args: argparse.Namespace, config: Config) -> int:
    from devices.printer import PrintError
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR
    from kiosk.ticket_layout import build_ticket_job

    service, store = _ticket_service(config)
    try:
        day = service.office_day_now()
        failed = service.tickets_to_retry(day)
        if args.number:
            failed = [t for t in service.tickets_of_day(day) if t.label == args.number]
            if not failed:
                raise CommandError(f"No ticket {args.number} was issued on {day}.")
        if not failed:
            print(f"No failed prints on {day}.")
            return 0
        url = args.printer or config.printer.url
        printer = _printer(config, url)
        translator = Translator(LOCALE_DIR, config.device.language)
        fields = {field.id: field for field in config.catalogue.fields}
        problems = 0
        try:
            for ticket in failed:
                job = build_ticket_job(
                    ticket,
                    fields[ticket.field_id],
                    config.office,
                    translator,
                    config.device.language,
                )
                try:
                    printer.print_job(job)
                except PrintError as error:
                    service.mark_print_failed(ticket.id, str(error))
                    print(f"{ticket.label}: {error}{_busy_hint(error)}", file=sys.stderr)
                    problems += 1
                else:
                    service.mark_printed(ticket.id)
                    print(f"{ticket.label}: printed again (same number).")
        finally:
            printer.stop()
        return 1 if problems else 0
    finally:
        store.close()


def cmd_tickets(args: argparse.Namespace, config: Config) -> int:
    service, store = _ticket_service(config)
    try:
        day = args.day or service.office_day_now()
        rows = service.tickets_of_day(day)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "number": t.label,
                        "field": t.field_id,
                        "priority": t.priority,
                        "issued_at": t.issued_at.isoformat(),
                        "print_status": t.print_status,
                        "print_error": t.print_error,
                        "print_attempts": t.print_attempts,
                    }
                    for t in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"{len(rows)} tickets on {day}")
    for t in rows:
        local = t.issued_at.astimezone(config.office.timezone)
        error = f"  ({t.print_error})" if t.print_error and t.print_status == "failed" else ""
        print(
            f"{t.label:>8}  {t.field_id:<20} {local:%H:%M:%S}  "
            f"{'priority ' if t.priority else ''}{t.print_status}{error}"
        )
    return 0


def cmd_check_config(args: argparse.Namespace, config: Config) -> int:
    print("Configuration OK, read from:")
    for source in config.sources:
        print(f"  {source}")
    print(
        f"Office {config.office.code} {config.office.name}; device {config.device.id} "
        f"({config.device.role}); data in {config.device.data_dir}"
    )
    print(
        f"Printer {config.printer.url} with profile {config.printer_profile.name} "
        f"({config.printer_profile.width_dots} dots)"
    )
    for field in config.catalogue.fields:
        print(
            f"  field {field.id}: {field.name_vi} — {field.prefix}{field.first}"
            f"..{field.prefix}{field.last}"
        )
    return 0


def cmd_scan_test(args: argparse.Namespace, config: Config) -> int:
    from kiosk.citizen_id_scan_test import run_scan_test

    return run_scan_test(args.scanner, suffix=args.suffix, count=args.count)


def cmd_hash_pin(args: argparse.Namespace, config: Config) -> int:
    pin = getpass.getpass("New technician PIN (digits): ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise CommandError("A PIN is 4 to 12 digits.")
    if getpass.getpass("Again: ") != pin:
        raise CommandError("The two PINs differ.")
    print(f'[technician]\npin_hash = "{hash_pin(pin)}"')
    return 0


def cmd_enroll(args: argparse.Namespace, config: Config) -> int:
    from kiosk.enrollment import ENROLMENT_FILE, EnrolmentError, enroll

    try:
        enrolment = enroll(config, api_url=args.api, code=args.code, ca_bundle=args.ca_bundle)
    except EnrolmentError as error:
        raise CommandError(str(error)) from error
    counter = "" if enrolment.counter is None else f", counter {enrolment.counter}"
    print(
        f"Enrolled as {enrolment.device_id} ({enrolment.role}{counter}) of office"
        f" {enrolment.office} with {enrolment.api_url}; the token is in"
        f" {config.device.data_dir / ENROLMENT_FILE}."
    )
    if config.central.url and config.central.url != enrolment.api_url:
        print(f"Note: [central] url is set, so events go to {config.central.url}.")
    return 0


def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    from kiosk.central_client import CentralError
    from kiosk.enrollment import CentralLink
    from kiosk.events import CITIZEN_IDENTIFIED
    from kiosk.store import StoreError
    from kiosk.sync import OutboxSender

    store, personal = _outbox(config)
    link = CentralLink(config)
    accepted = duplicates = 0
    quarantined: list[tuple[str, str, str]] = []
    failure: CentralError | None = None
    try:
        personal.purge_expired()
        client = link.current()
        if client is None:
            raise CommandError(link.problem)
        sender = OutboxSender(store, personal, config.central.batch_size)
        while True:
            try:
                report = sender.send_batch(client)
            except CentralError as error:
                failure = error
                break
            if report is None:
                break
            accepted += report.accepted
            duplicates += report.duplicates
            quarantined += report.quarantined
        pending = store.outbox.summary()["pending"]
        server = client.base_url
    except StoreError as error:
        raise CommandError(f"The local database failed: {error}") from error
    finally:
        link.close()
        store.close()
    print(f"Sent to {server}: {accepted} accepted, {duplicates} already there.")
    for event_id, event_type, reason in quarantined:
        if event_type == CITIZEN_IDENTIFIED:
            reason = "(reason not shown: personal data)"
        print(f"Quarantined {event_type} {event_id}: {reason}")
    if pending:
        because = f" {failure}" if failure else ""
        print(f"{pending} events still wait to be sent.{because}", file=sys.stderr)
        return 1
    if quarantined:
        print("Nothing else waits to be sent; quarantined events are listed by `kiosk outbox`.")
    else:
        print("The outbox is empty.")
    return 0


def cmd_outbox(args: argparse.Namespace, config: Config) -> int:
    from kiosk.store import StoreError

    store, personal = _outbox(config)
    try:
        personal.purge_expired()
        summary = store.outbox.summary()
        quarantined = store.outbox.quarantined()
    except StoreError as error:
        raise CommandError(f"The local database failed: {error}") from error
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "pending": summary["pending"],
                    "oldest_pending": summary["oldest_pending"],
                    "personal_pending": summary["personal_pending"],
                    "quarantined": quarantined,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    oldest = summary["oldest_pending"]
    since = "" if oldest is None else f" (the oldest from {_local(oldest, config)})"
    print(f"{summary['pending']} events wait to be sent{since}.")
    print(f"{summary['personal_pending']} of them hold personal data.")
    print(f"{len(quarantined)} quarantined (rejected by the central server; kept, not sent again).")
    for q in quarantined:
        print(f"  {_local(q['occurred_at'], config)}  {q['type']}  {q['id']}: {q['reason']}")
    return 0


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


COMMANDS = {
    "run": cmd_run,
    "demo": cmd_demo,
    "print-test": cmd_print_test,
    "reprint": cmd_reprint,
    "tickets": cmd_tickets,
    "enroll": cmd_enroll,
    "sync": cmd_sync,
    "outbox": cmd_outbox,
    "check-config": cmd_check_config,
    "scan-test": cmd_scan_test,
    "hash-pin": cmd_hash_pin,
    "badge": cmd_badge,
    "badge-key": cmd_badge_key,
    "ticket-key": cmd_ticket_key,
}


# ---------------------------------------------------------------------------- helpers


def _busy_hint(error: Exception) -> str:
    if "busy" not in str(error):
        return ""
    return (
        ". If the kiosk app is running, use its technician menu (hold the status line for 3 s)"
        " or stop it first: systemctl stop kiosk"
    )


def _printer(config: Config, url: str):
    """The printer driver for a one-off job of the command line (no status poller)."""
    from devices.printer import EscPosPrinter

    return EscPosPrinter(
        url,
        config.printer_profile,
        baudrate=config.printer.baudrate,
        write_timeout=config.printer.write_timeout,
    )


def _ticket_service(config: Config) -> tuple[TicketService, Store]:
    from kiosk.services import DataUnavailable, open_device_data

    path = config.device.data_dir / "kiosk.db"
    if not path.exists():
        raise CommandError(f"No kiosk database at {path}: has the kiosk run on this device?")
    try:
        data = open_device_data(config)
    except DataUnavailable as error:
        raise CommandError(str(error)) from error
    return data.tickets, data.store


def _outbox(config: Config) -> tuple[Store, PersonalData]:
    """The store and the personal data sealing, for the outbox commands."""
    from kiosk.personal_data import PersonalKeyError, open_personal_data

    _service, store = _ticket_service(config)
    try:
        return store, open_personal_data(store, config.device.data_dir, config.office)
    except (PersonalKeyError, OSError) as error:
        store.close()
        raise CommandError(f"Cannot use the personal data key: {error}") from error


def _key_problem(error: Exception) -> str:
    """One sentence for a key file that cannot be read or written."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}."
    return f"{error}."


def _local(moment: str, config: Config) -> str:
    """An event's time on the office clock, to the second."""
    return f"{datetime.fromisoformat(moment).astimezone(config.office.timezone):%Y-%m-%d %H:%M:%S}"


def _run_app(
    config: Config,
    *,
    printer_url: str | None,
    verbose: bool,
    demo_printer=None,
    demo_central=None,
    demo_scanner=None,
) -> int:
    from kiosk.logging_setup import configure_logging
    from kiosk.services import DataUnavailable, open_device_data

    try:
        data = open_device_data(config)
    except DataUnavailable as error:
        raise CommandError(str(error)) from error
    configure_logging(config.device.data_dir / "logs", verbose=verbose)
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_DPI", str(config.display.dpi))
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")
    KivyConfig.set("graphics", "width", str(config.display.width))
    KivyConfig.set("graphics", "height", str(config.display.height))
    from kiosk.app_base import configure_window

    logging.getLogger("kivy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    configure_window(config)
    if config.device.role == "counter":
        from kiosk.counter_app import CounterApp

        app = CounterApp(config, data, demo_central=demo_central)
    else:
        from kiosk.app import KioskApp

        app = KioskApp(
            config,
            data,
            printer_url=printer_url,
            demo_printer=demo_printer,
            demo_central=demo_central,
            demo_scanner=demo_scanner,
        )
    # systemctl stop / kill: stop like a closed window, so the workers finish and children end.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: app.stop())
    app.run()
    return 0
