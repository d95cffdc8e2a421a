"""`kiosk enroll`, `kiosk sync --once` and `kiosk outbox`: the device and the central server
(enrolment, sending the outbox now, what waits to be sent or was quarantined)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.device_data import ticket_service
from kiosk.cli.registry import CommandError, command

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.personal_data import PersonalData
    from kiosk.store import Store


def _enroll_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api", required=True, help="the central server's address, e.g. https://kiosk.example.vn"
    )
    parser.add_argument("--code", required=True, help="the enrolment code, e.g. 7K3M-Q9XD-2HTB")
    parser.add_argument(
        "--ca-bundle", type=Path, help="PEM file of the city's own certificate authority"
    )


@command(
    "enroll",
    "enrol this device with the central server, with a one-time code",
    _enroll_arguments,
)
def cmd_enroll(args: argparse.Namespace, config: Config) -> int:
    from kiosk.enrolment import ENROLMENT_FILE, EnrolmentError, enroll

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


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", required=True, help="send what can be sent now, then exit"
    )


@command("sync", "send the events waiting in the outbox to the central server", _sync_arguments)
def cmd_sync(args: argparse.Namespace, config: Config) -> int:
    from kiosk.central_client import CentralError
    from kiosk.enrolment import CentralLink
    from kiosk.events import CITIZEN_IDENTIFIED
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
    finally:  # a StoreError goes up to kiosk.cli, which names the storage fault
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


def _outbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


@command("outbox", "events waiting to be sent, and quarantined ones", _outbox_arguments)
def cmd_outbox(args: argparse.Namespace, config: Config) -> int:
    store, personal = _outbox(config)
    try:
        personal.purge_expired()
        summary = store.outbox.summary()
        quarantined = store.outbox.quarantined()
    finally:  # a StoreError goes up to kiosk.cli, which names the storage fault
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


def _outbox(config: Config) -> tuple[Store, PersonalData]:
    """The store and the personal data sealing, for the outbox commands."""
    from kiosk.personal_data import PersonalKeyError, open_personal_data

    _service, store = ticket_service(config)
    try:
        return store, open_personal_data(store, config.device.data_dir, config.office)
    except (PersonalKeyError, OSError) as error:
        store.close()
        raise CommandError(f"Cannot use the personal data key: {error}") from error


def _local(moment: str, config: Config) -> str:
    """An event's time on the office clock, to the second."""
    return f"{datetime.fromisoformat(moment).astimezone(config.office.timezone):%Y-%m-%d %H:%M:%S}"
