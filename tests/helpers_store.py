"""Set-up shared by the configuration, store and ticket tests, and the ticket-issuing child
processes of the kill -9 and full-disk tests:
`python -m tests.helpers_store forever|until-refused|until-size-limit DB KEY CONFIG_DIR`.
"""

from __future__ import annotations

import resource
import signal
import sys
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.config import Config, load_config
from kiosk.store import Store, StoreError
from kiosk.ticket_signing import load_or_create_device_key
from kiosk.tickets import NumbersExhausted, TicketService

REPO_ROOT = Path(__file__).resolve().parent.parent
HCM = ZoneInfo("Asia/Ho_Chi_Minh")

SMALL_CATALOGUE = """
[priority]
enabled = true

[[fields]]
id = "alpha"
name_vi = "Hộ tịch"
name_en = "Civil status"
colour = "#1565C0"
prefix = "A"
first = 1
last = 3
digits = 3

[[fields]]
id = "beta"
name_vi = "Chứng thực"
name_en = "Certification"
colour = "#2E7D32"
prefix = ""
first = 500
last = 999
digits = 3
"""


def write_override(
    folder: Path,
    *,
    kiosk: str = "",
    catalogue: str | None = None,
    printers: str | None = None,
) -> Path:
    """An /etc/kiosk-like folder. kiosk.toml always points data_dir into the test folder."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder.parent / "data"
    data_line = f'data_dir = "{data_dir}"\n'
    if "[device]\n" in kiosk:
        kiosk = kiosk.replace("[device]\n", "[device]\n" + data_line, 1)
    else:
        kiosk = f"[device]\n{data_line}\n{kiosk}"
    (folder / "kiosk.toml").write_text(kiosk, encoding="utf-8")
    if catalogue is not None:
        (folder / "catalogue.toml").write_text(catalogue, encoding="utf-8")
    if printers is not None:
        (folder / "printers.toml").write_text(printers, encoding="utf-8")
    return folder


def small_config(tmp_path: Path) -> Config:
    """The shipped configuration with a two-field catalogue whose first range is tiny."""
    return load_config(write_override(tmp_path / "etc", catalogue=SMALL_CATALOGUE))


class Clock:
    """A settable clock for TicketService: tests choose the moment, never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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
