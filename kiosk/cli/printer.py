"""`kiosk print-test`, `kiosk reprint` and `kiosk tickets`: the printer and the day's tickets,
from the command line, when the kiosk app does not hold the printer."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING

from common.office_clock import aware_now
from kiosk.cli.device_data import ticket_service
from kiosk.cli.registry import CommandError, command

if TYPE_CHECKING:
    from devices.printer import EscPosPrinter
    from kiosk.config import Config


def _add_printer_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--printer", help="printer URL (default: the configured one)")


def _print_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ticket", action="store_true", help="a sample Vietnamese ticket instead")
    _add_printer_option(parser)


@command("print-test", "print a test page or a sample ticket", _print_test_arguments)
def cmd_print_test(args: argparse.Namespace, config: Config) -> int:
    from devices.printer import PrintError
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR
    from kiosk.ticket_layout import build_sample_ticket_job, build_test_page_job

    now = aware_now().astimezone(config.office.timezone)
    url = args.printer or config.printer.url
    printer = _printer(config, url)
    try:
        if args.ticket:
            job = build_sample_ticket_job(config, Translator(LOCALE_DIR, "vi"), now)
        else:
            language = config.device.language
            translator = Translator(LOCALE_DIR, language)
            state = printer.query_status()  # the page says how the printer was before it
            job = build_test_page_job(
                config.printer_profile,
                config.office,
                now,
                translator,
                language,
                printer_state=state,
            )
        printer.print_job(job)
    except PrintError as error:
        raise CommandError(f"Printing on {url} failed: {error}{_busy_hint(error)}") from error
    finally:
        printer.stop()
    print(f"Printed {'a sample ticket' if args.ticket else 'a test page'} on {url}.")
    return 0


def _reprint_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--failed", action="store_true", help="every failed ticket of today")
    which.add_argument("--number", help="the ticket number (label) of today, e.g. 1023")
    _add_printer_option(parser)


@command(
    "reprint",
    "print again, with the same number and marked as a reprint, tickets whose printing failed",
    _reprint_arguments,
)
def cmd_reprint(args: argparse.Namespace, config: Config) -> int:
    from devices.printer import PrintError
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR
    from kiosk.ticket_layout import build_ticket_job

    service, store = ticket_service(config)
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
                    reprinted_at=service.now(),
                )
                try:
                    printer.print_job(job)
                except PrintError as error:
                    if error.sent:  # it may be on paper: not offered again by --failed
                        service.mark_print_unknown(ticket.id, str(error))
                    else:
                        service.mark_print_failed(ticket.id, str(error))
                    print(f"{ticket.label}: {error}{_busy_hint(error)}", file=sys.stderr)
                    problems += 1
                else:
                    service.mark_printed(ticket.id)
                    print(f"{ticket.label}: printed again (same number, marked as a reprint).")
        finally:
            printer.stop()
        return 1 if problems else 0
    finally:
        store.close()


def _tickets_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


@command("tickets", "list the tickets of a day and their state", _tickets_arguments)
def cmd_tickets(args: argparse.Namespace, config: Config) -> int:
    service, store = ticket_service(config)
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
        error = f"  ({t.print_error})" if t.print_error else ""  # cleared once printed
        print(
            f"{t.label:>8}  {t.field_id:<20} {local:%H:%M:%S}  "
            f"{'priority ' if t.priority else ''}{t.print_status}{error}"
        )
    return 0


def _busy_hint(error: Exception) -> str:
    if "busy" not in str(error):
        return ""
    return (
        ". If the kiosk app is running, use its technician menu (hold the status line for 3 s)"
        " or stop it first: systemctl stop kiosk"
    )


def _printer(config: Config, url: str) -> EscPosPrinter:
    """The printer driver for a one-off job of the command line (no status poller)."""
    from devices.printer import EscPosPrinter

    return EscPosPrinter(
        url,
        config.printer_profile,
        baudrate=config.printer.baudrate,
        write_timeout=config.printer.write_timeout,
    )
