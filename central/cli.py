"""The `kiosk-central` command line: serve the API, upgrade its database, and the administrator's
token tools.

Every failure ends in one sentence on stderr and exit code 1 (or 2 for a wrong command line),
never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import socket
import ssl
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import NoReturn

import qrcode
from sqlalchemy.engine import make_url

from central.db import POOL_SIZE, Database, DatabaseBusy, DatabaseUrlError
from central.desk import end_desk_session_by_reader, end_desk_sessions_of_device
from central.enrolment import (
    ALL_OFFICES,
    DEVICE_ROLES,
    create_city_token,
    create_code,
    create_desk_token,
    create_monitor_token,
    create_viewer_token,
    revoke,
)
from central.fleet import SILENT_AFTER
from central.migrations import BASELINE, SchemaError
from central.monthly_report import MonthError, month_days, monthly_figures
from central.offices import (
    OfficeRuleError,
    clean_label,
    office_rule,
    offices_of_city,
    parse_rule,
    set_office_labels,
    set_office_rule,
)
from central.schema import CITY, OFFICE_NAME
from central.values import DEVICE_ID_PATTERN, OFFICE_PATTERN
from common.closed_pipe import quiet_closed_pipe
from common.office_clock import (
    DEFAULT_DAY_STARTS_AT,
    DEFAULT_TIMEZONE,
    OfficeDayRule,
    aware_now,
    default_rule,
)
from common.provisioning_code import ProvisioningCode
from common.version import __version__

DEFAULT_DB = "sqlite:///central.db"
DB_VARIABLE = "KIOSK_CENTRAL_DB"
STARTUP_FAILURE = 3  # uvicorn's exit code when the server did not start
_OFFICE = re.compile(OFFICE_PATTERN)
_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)


class CommandError(Exception):
    """A failure to report in one sentence (exit code 1)."""


class UsageError(Exception):
    """A wrong command line, found after parsing (exit code 2)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help).\n")


def office_code(text: str) -> str:
    if not _OFFICE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a 5-digit office code")
    return text


def token_office(text: str) -> str:
    """An office code, or `*` for a monitor token (every office)."""
    return text if text == ALL_OFFICES else office_code(text)


def minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 10_080:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes from 1 to 10080")
    return value


def month_text(text: str) -> str:
    try:
        month_days(text)
    except MonthError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def device_id(text: str) -> str:
    if not _DEVICE_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not 1-32 of a-z, 0-9 and -")
    return text


def counter_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 999:
        raise argparse.ArgumentTypeError(f"{text!r} is not a counter number 1-999")
    return int(text)


def label_text(limit: int) -> Callable[[str], str]:
    """An office's name or city: NFC, trimmed, printable, at most `limit` characters; empty
    clears it."""

    def check(text: str) -> str:
        label = clean_label(text)
        if not label.isprintable() or len(label) > limit:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a printable text of at most {limit} characters"
            )
        return label

    return check


def city_text(text: str) -> str:
    """A city as `office --city` keeps it: also a segment of the city view's address, so
    without "/" (which a URL cannot carry there, even as %2F)."""
    label = label_text(CITY)(text)
    if "/" in label:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a city's name cannot hold '/' (it is part of the city view's address)"
        )
    return label


def city_name(text: str) -> str:
    label = city_text(text)
    if not label:
        raise argparse.ArgumentTypeError("a city token needs the city's name")
    return label


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kiosk-central", description="The reference central API server.")
    parser.add_argument("--version", action="version", version=f"kiosk-central {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = Parser(add_help=False)
    common.add_argument(
        "--db",
        default=os.environ.get(DB_VARIABLE, DEFAULT_DB),
        help=f"database URL: sqlite:///FILE or postgresql+psycopg://… (default ${DB_VARIABLE},"
        f" else {DEFAULT_DB}; the variable keeps a password out of the process list)",
    )

    serve = commands.add_parser("serve", parents=[common], help="serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument("--tls-cert", help="TLS certificate chain (PEM); with --tls-key")
    serve.add_argument("--tls-key", help="TLS private key (PEM); with --tls-cert")
    serve.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help="time zone of the offices `kiosk-central office` has not set",
    )
    serve.add_argument(
        "--day-starts-at",
        default=DEFAULT_DAY_STARTS_AT.strftime("%H:%M"),
        help="when their office day starts, HH:MM (as [office] day_starts_at on the devices)",
    )

    serve.add_argument(
        "--pool-size",
        type=int,
        default=POOL_SIZE,
        help=f"database connections this process keeps (default {POOL_SIZE}; up to half as"
        " many more while busy)",
    )
    serve.add_argument(
        "--max-batches",
        type=int,
        help="event batches processed at once before answering 503 + Retry-After (default: the"
        " pool size; 0 = never shed load)",
    )

    serve.add_argument(
        "--key-dir",
        type=Path,
        help="folder of the identities' day keys, shared by every process of one database"
        " (default: DB.keys beside an SQLite file, else ./central-keys)",
    )

    serve.add_argument(
        "--silent-after",
        type=minutes,
        default=SILENT_AFTER.total_seconds() / 60,
        help="minutes without a health report after which a device is silent on the fleet page"
        " and in /metrics (default %(default)g)",
    )

    commands.add_parser(
        "migrate",
        parents=[common],
        help="upgrade the database to this version's schema (back it up first)",
    )

    office = commands.add_parser(
        "office",
        parents=[common],
        help="show or set an office's time zone and day start (as in its devices' kiosk.toml),"
        " its name and its city",
    )
    office.add_argument("--office", required=True, type=office_code, help="office code")
    office.add_argument("--timezone", help="IANA time zone, e.g. Asia/Ho_Chi_Minh")
    office.add_argument("--day-starts-at", help="HH:MM, the devices' [office] day_starts_at")
    office.add_argument(
        "--name", type=label_text(OFFICE_NAME), help='the office\'s name, e.g. "Phường Đại Mỗ"'
    )
    office.add_argument(
        "--city", type=city_text, help='its city (city tokens read it), e.g. "Hà Nội"'
    )

    code = commands.add_parser(
        "enroll-code", parents=[common], help="make a one-time enrolment code (valid 7 days)"
    )
    code.add_argument("--office", required=True, type=office_code, help="office code, e.g. 00637")
    code.add_argument("--role", required=True, choices=DEVICE_ROLES, help="the device's role")
    code.add_argument("--counter", type=counter_number, help="counter number (counter role)")
    code.add_argument("--device-id", type=device_id, help="the device id the code is for")
    # A provisioning QR (common.provisioning_code): the code and what the device is, scanned
    # on the device's setup screen or given to `kiosk provision --qr-text`.
    code.add_argument(
        "--api-url", help="the server's address as the devices reach it: prints a provisioning QR"
    )
    code.add_argument("--office-name", help="provisioning QR: the office's name")
    code.add_argument("--code-list-date", help="provisioning QR: the ward code list's date")
    code.add_argument(
        "--ca-cert", type=Path, help="provisioning QR: the city CA's certificate (PEM) to pin"
    )
    code.add_argument("--qr-png", type=Path, help="provisioning QR: also save it as a PNG")

    viewer = commands.add_parser(
        "viewer-token",
        parents=[common],
        help="make a read-only token for an office's reports and queue, or a city's reports",
    )
    scope = viewer.add_mutually_exclusive_group(required=True)
    scope.add_argument("--office", type=office_code, help="office code")
    scope.add_argument(
        "--city",
        type=city_name,
        help="a city (as `office --city` gives it): the city view and its offices' reports",
    )

    desk = commands.add_parser(
        "desk-token",
        parents=[common],
        help="make a token for the provincial software to read the desk (called citizens' cards)",
    )
    desk.add_argument("--office", required=True, type=office_code, help="office code")
    desk.add_argument("--counter", type=int, help="only this counter (default: every counter)")

    commands.add_parser(
        "monitor-token",
        parents=[common],
        help="make a read-only token for the fleet of every office (fleet page, /metrics)",
    )

    monthly = commands.add_parser(
        "monthly-report",
        parents=[common],
        help="write an office's printable monthly report (PDF), as GET …/reports/monthly.pdf",
    )
    monthly.add_argument("--office", required=True, type=office_code, help="office code")
    monthly.add_argument("--month", required=True, type=month_text, help="YYYY-MM, e.g. 2026-11")
    monthly.add_argument("--out", required=True, type=Path, help="the PDF file to write")

    cancel = commands.add_parser(
        "revoke", parents=[common], help="revoke a device's (or viewer's, or monitor's) token"
    )
    cancel.add_argument(
        "--office", required=True, type=token_office, help="office code ('*' for a monitor)"
    )
    cancel.add_argument("--device-id", required=True, help="device or viewer id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The server logs what it does; a one-off command only speaks through its one sentence.
    logging.basicConfig(
        level=logging.INFO if args.command == "serve" else logging.CRITICAL,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines name its internals
    try:
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"kiosk-central: {error}.", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"{error}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of a pipe stopped early
        return quiet_closed_pipe()


def open_database(url: str) -> Database:
    """The database, with the schema of this version (created in a new database)."""
    db = connect(url)
    try:
        db.create_schema()
    except SchemaError as error:
        db.dispose()
        raise CommandError(str(error)) from None
    except DatabaseBusy:
        db.dispose()
        raise CommandError(_unreachable(url)) from None
    return db


def connect(url: str) -> Database:
    try:
        return Database(url)
    except DatabaseUrlError as error:
        raise UsageError(f"--db: {error}") from None


def _unreachable(url: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return f"Cannot open the database {shown}: it is unreachable, busy or not writable"


def cmd_migrate(args: argparse.Namespace) -> int:
    db = connect(args.db)
    try:
        done = db.migrate()
    except SchemaError as error:
        raise CommandError(str(error)) from None
    except DatabaseBusy:
        raise CommandError(_unreachable(args.db)) from None
    finally:
        db.dispose()
    if done.before_migrations and done.lacked:
        print(
            "The database was made by a release before migrations were recorded, without the"
            f" tables {', '.join(done.lacked)}; revision {BASELINE} adds them."
        )
    elif done.before_migrations:
        print(
            "The database was made before migrations were recorded; its tables are those of"
            f" revision {BASELINE}, now recorded as such."
        )
    for step in done.steps:
        print(f"Applied revision {step.revision}: {step.title}")
    if done.start == done.end and not done.before_migrations:
        print(f"The database is already at the newest revision, {done.end}.")
    else:
        print(f"The database is now at revision {done.end}, the newest.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from central.app import create_app
    from central.serving import serve

    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number")
    try:
        default = parse_rule(args.timezone, args.day_starts_at)
    except OfficeRuleError as error:
        raise UsageError(f"--timezone/--day-starts-at: {error}") from None
    if args.tls_cert is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                args.tls_cert, args.tls_key
            )
        except (OSError, ssl.SSLError) as error:
            raise CommandError(f"Cannot use the TLS certificate and key: {error}") from None
    try:  # uvicorn would report this in several log lines
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((args.host, args.port))
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"Cannot listen on {args.host} port {args.port}: {reason}") from None
    open_database(args.db).dispose()
    if args.pool_size < 1 or (args.max_batches is not None and args.max_batches < 0):
        raise UsageError("--pool-size must be at least 1 and --max-batches at least 0")
    app = create_app(
        args.db,
        timezone=args.timezone,
        day_starts_at=default.day_starts_at,
        pool_size=args.pool_size,
        max_batches=args.max_batches,
        key_dir=args.key_dir,
        silent_after=timedelta(minutes=args.silent_after),
    )
    # Uvicorn logs one line per request (method, path, status): paths carry no personal data,
    # and the one token a path may carry (the report page's ?token=) is masked by a log filter.
    started = serve(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level="info",
    )
    return 0 if started else STARTUP_FAILURE


def cmd_enroll_code(args: argparse.Namespace) -> int:
    if args.role == "counter" and args.counter is None:
        raise UsageError("a counter device needs --counter")
    if args.role != "counter" and args.counter is not None:
        raise UsageError("--counter is only for a counter device")
    provisioning = _provisioning_facts(args)
    db = open_database(args.db)
    try:
        issued = create_code(
            db,
            office=args.office,
            role=args.role,
            counter=args.counter,
            device_id=args.device_id,
            now=aware_now(),
        )
    finally:
        db.dispose()
    facts = [f"office {issued.office}", f"role {issued.role}"]
    if issued.counter is not None:
        facts.append(f"counter {issued.counter}")
    if issued.device_id is not None:
        facts.append(f"device {issued.device_id}")
    print(issued.code)
    print(f"{', '.join(facts)}; one use, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC")
    qr = qrcode.QRCode(border=2)
    if provisioning is None:
        qr.add_data(issued.code)
    else:
        text = replace(provisioning, code=issued.code).to_text()
        qr.add_data(text)
        print(f"Provisioning text (kiosk provision --qr-text): {text}")
        print("Provisioning QR: scan it on the device's setup screen.")
    qr.print_ascii(out=sys.stdout)
    if args.qr_png is not None:
        try:
            qr.make_image().save(args.qr_png)
        except OSError as error:
            raise CommandError(
                f"The code is made, but {args.qr_png} cannot be written: {error.strerror}"
            ) from None
        print(f"Saved the QR as {args.qr_png}.")
    return 0


def _provisioning_facts(args: argparse.Namespace) -> ProvisioningCode | None:
    """The provisioning QR's facts (its code still to be made), None without --api-url."""
    extras = (args.office_name, args.code_list_date, args.ca_cert)
    if args.api_url is None:
        if any(value is not None for value in extras):
            raise UsageError("--office-name, --code-list-date and --ca-cert go with --api-url")
        return None
    if args.device_id is None or args.office_name is None or args.code_list_date is None:
        raise UsageError(
            "a provisioning QR names the device: add --device-id, --office-name and"
            " --code-list-date"
        )
    ca_sha256 = ""
    if args.ca_cert is not None:
        try:
            der = ssl.PEM_cert_to_DER_cert(args.ca_cert.read_text(encoding="ascii"))
        except (OSError, ValueError) as error:
            raise CommandError(
                f"--ca-cert {args.ca_cert}: not a readable PEM certificate ({error})"
            ) from None
        ca_sha256 = hashlib.sha256(der).hexdigest()
    try:
        return ProvisioningCode(
            api_url=args.api_url.rstrip("/"),
            ca_sha256=ca_sha256,
            office=args.office,
            code_list_date=date.fromisoformat(args.code_list_date),
            office_name=unicodedata.normalize("NFC", args.office_name),
            role=args.role,
            counter=args.counter,
            device_id=args.device_id,
            code="-",  # the code is made once everything else is known to be right
        )
    except ValueError as error:  # ProvisioningCodeError is one
        raise UsageError(str(error).rstrip(".")) from None


def cmd_viewer_token(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        if args.city is not None:
            return _city_token(db, args.city)
        credentials = create_viewer_token(db, office=args.office, now=aware_now())
    finally:
        db.dispose()
    print(credentials.token)
    print(
        f"Viewer {credentials.device_id} of office {credentials.office}; revoke with"
        f" kiosk-central revoke --office {credentials.office} --device-id {credentials.device_id}",
        file=sys.stderr,
    )
    return 0


def _city_token(db: Database, city: str) -> int:
    offices = offices_of_city(db, city)
    credentials = create_city_token(db, city=city, now=aware_now())
    print(credentials.token)
    reach = (
        f"offices {', '.join(offices)}"
        if offices
        else "no office yet (kiosk-central office --city)"
    )
    print(
        f"City reader {credentials.device_id} of {city} ({reach}); revoke with"
        f" kiosk-central revoke --office '{ALL_OFFICES}' --device-id {credentials.device_id}",
        file=sys.stderr,
    )
    return 0


def cmd_desk_token(args: argparse.Namespace) -> int:
    if args.counter is not None and not 1 <= args.counter <= 999:
        raise SystemExit("kiosk-central desk-token: --counter must be 1 to 999")
    db = open_database(args.db)
    try:
        credentials = create_desk_token(
            db, office=args.office, counter=args.counter, now=aware_now()
        )
    finally:
        db.dispose()
    print(credentials.token)
    scope = "every counter" if args.counter is None else f"counter {args.counter}"
    print(
        f"Desk reader {credentials.device_id} of office {credentials.office} ({scope}); revoke"
        f" with kiosk-central revoke --office {credentials.office}"
        f" --device-id {credentials.device_id}",
        file=sys.stderr,
    )
    return 0


def cmd_monitor_token(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        credentials = create_monitor_token(db, now=aware_now())
    finally:
        db.dispose()
    print(credentials.token)
    print(
        f"Monitor {credentials.device_id}: reads the fleet of every office; revoke with"
        f" kiosk-central revoke --office '{ALL_OFFICES}' --device-id {credentials.device_id}",
        file=sys.stderr,
    )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    now = aware_now()
    try:
        if args.device_id.startswith("desk-page-"):  # a paired browser, as the access log names it
            ended = end_desk_session_by_reader(
                db, office=args.office, reader=args.device_id, now=now
            )
            if ended == 0:
                raise CommandError(f"Office {args.office} has no live desk page {args.device_id!r}")
            print(f"Ended the desk page session {args.device_id} in office {args.office}.")
            return 0
        count = revoke(db, office=args.office, device_id=args.device_id, now=now)
        pages = end_desk_sessions_of_device(
            db, office=args.office, device_id=args.device_id, now=now
        )
    finally:
        db.dispose()
    if count == 0:
        raise CommandError(f"Office {args.office} has no live token for {args.device_id!r}")
    print(f"Revoked the token of {args.device_id} in office {args.office}.")
    if pages:
        print(f"Ended {pages} desk page session(s) of its counter.")
    return 0


def cmd_office(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    try:
        rule = _office_rule(db, args)
        labels = set_office_labels(db, args.office, name=args.name, city=args.city)
    except DatabaseBusy:
        raise CommandError("The database is busy or unreachable; try again") from None
    finally:
        db.dispose()
    rule_text = "the server's defaults (serve --timezone)" if rule is None else _rule_text(rule)
    named = "" if labels.name is None else f" «{labels.name}»"
    city = "" if labels.city is None else f"; city {labels.city}"
    changed = any(
        value is not None for value in (args.timezone, args.day_starts_at, args.name, args.city)
    )
    applied = " (running servers apply it within a minute)" if changed else ""
    print(f"Office {args.office}{named}: {rule_text}{city}{applied}.")
    return 0


def _office_rule(db: Database, args: argparse.Namespace) -> OfficeDayRule | None:
    """The office's rule once `--timezone` / `--day-starts-at` (if given) are stored."""
    current = office_rule(db, args.office)
    if args.timezone is None and args.day_starts_at is None:
        return current
    zone = args.timezone or (current.timezone.key if current else DEFAULT_TIMEZONE)
    start = args.day_starts_at or (
        current.day_starts_at if current else DEFAULT_DAY_STARTS_AT
    ).strftime("%H:%M")
    try:
        rule = parse_rule(zone, start)
    except OfficeRuleError as error:
        raise UsageError(str(error)) from None
    set_office_rule(db, args.office, rule)
    return rule


def cmd_monthly_report(args: argparse.Namespace) -> int:
    from central.monthly_pdf import monthly_pdf

    db = open_database(args.db)
    try:
        # The office's time zone as the server keeps it, else the server's default (serve's).
        rule = office_rule(db, args.office) or default_rule()
        figures = monthly_figures(
            db,
            office=args.office,
            month=args.month,
            zone=rule.timezone,
            made_on=aware_now().astimezone(rule.timezone).date(),
        )
    except DatabaseBusy:
        raise CommandError("The database is busy or unreachable; try again") from None
    finally:
        db.dispose()
    try:
        args.out.write_bytes(monthly_pdf(figures))
    except OSError as error:
        raise CommandError(f"Cannot write {args.out}: {error.strerror}") from None
    print(f"Wrote the report of {args.month} of office {args.office} to {args.out}.")
    return 0


def _rule_text(rule: OfficeDayRule) -> str:
    return f"time zone {rule.timezone.key}, office day starts at {rule.day_starts_at:%H:%M}"


COMMANDS = {
    "migrate": cmd_migrate,
    "office": cmd_office,
    "serve": cmd_serve,
    "enroll-code": cmd_enroll_code,
    "viewer-token": cmd_viewer_token,
    "desk-token": cmd_desk_token,
    "monitor-token": cmd_monitor_token,
    "revoke": cmd_revoke,
    "monthly-report": cmd_monthly_report,
}
