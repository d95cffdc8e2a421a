"""Opening the device's data: the data folder, the SQLite store and the signing key.

Done before Kivy starts, so a data folder that cannot be written, a damaged database or a bad
key ends in one plain sentence for the technician instead of a traceback on the screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common.office_clock import aware_now
from kiosk.config import Config
from kiosk.personal_data import PersonalData, PersonalKeyError, open_personal_data
from kiosk.server_clock import ServerClock
from kiosk.storage_faults import StorageFault, classify, for_the_technician
from kiosk.store import Store, StoreError
from kiosk.store.integrity import quick_check
from kiosk.ticket_signing import DeviceKeyError, load_or_create_device_key
from kiosk.tickets import TicketService


class DataUnavailable(Exception):
    """The device's data folder, database or key cannot be used; the message says why, and
    `fault` which storage fault it is, if one (kiosk.storage_faults)."""

    def __init__(self, message: str, fault: StorageFault | None = None) -> None:
        super().__init__(message)
        self.fault = fault


@dataclass
class DeviceData:
    store: Store
    tickets: TicketService
    personal: PersonalData
    server_clock: ServerClock

    def close(self) -> None:
        self.store.close()


def open_device_data(config: Config, clock: Callable[[], datetime] = aware_now) -> DeviceData:
    """The device's data; `clock` is its own clock (tests inject theirs)."""
    data_dir = config.device.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise PermissionError(f"{data_dir} is not writable by this user")
    except OSError as error:
        fault = classify(error, data_dir)
        if fault is not None:
            said = for_the_technician(error, data_dir)
            raise DataUnavailable(
                f"Cannot use the data folder {data_dir}: {said}", fault
            ) from error
        raise DataUnavailable(
            f"Cannot use the data folder {data_dir}: {error.strerror or error}. Set [device] "
            "data_dir in /etc/kiosk/kiosk.toml, or run as the kiosk user."
        ) from error
    path = data_dir / "kiosk.db"
    try:
        if path.exists():  # a damaged database is said now, not at the first ticket
            quick_check(path)
        store = Store(path)
    except StoreError as error:
        raise DataUnavailable(
            f"Cannot open the database: {for_the_technician(error, path)}", classify(error, path)
        ) from error
    try:
        key = load_or_create_device_key(data_dir / "device.key")
        personal = open_personal_data(store, data_dir, config.office)
    except (DeviceKeyError, PersonalKeyError, OSError) as error:
        store.close()
        raise DataUnavailable(
            f"Cannot use the device keys: {for_the_technician(error, data_dir)}",
            classify(error, data_dir),
        ) from error
    server_clock = ServerClock(config.central.clock_margin, clock)
    tickets = TicketService(store, config, key, server_clock=server_clock)
    return DeviceData(store, tickets, personal, server_clock)
