"""The ticket-issuing child processes of the kill -9 and full-disk tests:
`python -m tests.support.issuing forever|until-refused|until-size-limit DB KEY CONFIG_DIR`.
"""

from __future__ import annotations

import resource
import signal
import sys
import uuid
from pathlib import Path

from kiosk.config import load_config
from kiosk.store import Store, StoreError
from kiosk.ticket_signing import load_or_create_device_key
from kiosk.tickets import NumbersExhausted, TicketService


def issue_forever(db: Path, key_path: Path, config_dir: Path) -> None:
    """Issue tickets round-robin over the catalogue until every range is used up.

    A line `<ticket id> <field id> <label>` goes to stdout only after the ticket is committed,
    so whatever the parent reads was promised to a citizen and must be in the store. Every
    third request is sent twice, as a double tap would.
    """
    config = load_config(config_dir)
    store = Store(db)
    service = TicketService(store, config, load_or_create_device_key(key_path))
    fields = [field.id for field in config.catalogue.fields]
    count = 0
    while fields:
        field_id = fields[count % len(fields)]
        request_id = str(uuid.uuid4())
        try:
            ticket = service.issue(field_id, priority=count % 5 == 0, request_id=request_id)
            if count % 3 == 0:
                again = service.issue(field_id, priority=count % 5 == 0, request_id=request_id)
                assert again == ticket
        except NumbersExhausted:
            fields.remove(field_id)
            continue
        print(ticket.id, ticket.field_id, ticket.label, flush=True)
        count += 1


def issue_until_refused(db: Path, key_path: Path, config_dir: Path) -> None:
    """Issue tickets until the store refuses (the disk is full); print each committed ticket,
    then `REFUSED <class> <message>`."""
    config = load_config(config_dir)
    service = TicketService(Store(db), config, load_or_create_device_key(key_path))
    field_id = config.catalogue.fields[-1].id
    while True:
        try:
            ticket = service.issue(field_id, priority=False, request_id=str(uuid.uuid4()))
        except StoreError as error:
            print("REFUSED", type(error).__name__, error, flush=True)
            return
        print(ticket.id, ticket.field_id, ticket.label, flush=True)


def issue_until_size_limit(db: Path, key_path: Path, config_dir: Path) -> None:
    """The same with the size of every file this process writes capped a little above the
    database's current size: the kernel fails the write (EFBIG) mid-transaction."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write(), not a signal
    wal = db.with_name(db.name + "-wal")
    limit = max(db.stat().st_size, wal.stat().st_size if wal.exists() else 0) + 64 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    issue_until_refused(db, key_path, config_dir)


if __name__ == "__main__":
    mode, db_arg, key_arg, config_arg = sys.argv[1:]
    run = {
        "forever": issue_forever,
        "until-refused": issue_until_refused,
        "until-size-limit": issue_until_size_limit,
    }[mode]
    run(Path(db_arg), Path(key_arg), Path(config_arg))
