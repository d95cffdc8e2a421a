"""The device's own database, opened for a one-off command of the command line (tickets,
reprint, outbox, sync), with one sentence when it cannot be."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.cli.registry import CommandError

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.store import Store
    from kiosk.tickets import TicketService


def ticket_service(config: Config) -> tuple[TicketService, Store]:
    """The ticket service and the store of this device, which must have run the kiosk."""
    from kiosk.services import DataUnavailable, open_device_data

    path = config.device.data_dir / "kiosk.db"
    if not path.exists():
        raise CommandError(f"No kiosk database at {path}: has the kiosk run on this device?")
    try:
        data = open_device_data(config)
    except DataUnavailable as error:
        raise CommandError(str(error)) from error
    return data.tickets, data.store
