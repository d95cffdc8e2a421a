"""Personal data in the outbox: `citizen.identified` events, sealed at rest, gone by day's end.

The event's `data` (the parsed ID card) is encrypted with AES-256-GCM under a key kept in
`<data_dir>/personal.key` (mode 0600), bound to the event id, and stored as `sealed` in place
of `data`: the SQLite files never hold it in clear, and a sealed body sent by mistake would be
rejected by the server (it has no `data`). It is opened only to be sent, and deleted (and its
pages overwritten) once the server has it.

Expiry: an event still unsent when its office day ends is dropped. The office day ends at the
next `[office] day_starts_at`, the moment ticket numbering restarts: the same boundary the
tickets use, so a session running late is never cut short and nothing is carried into the next
day. Nothing personal is ever logged here: events are named by their id only.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from common.key_files import KeyFileError, load_or_create_key
from common.office_clock import aware_now
from kiosk import events
from kiosk.config import OfficeConfig
from kiosk.events import Event
from kiosk.store import Store

log = logging.getLogger(__name__)

KEY_FILE = "personal.key"
KEY_BYTES = 32
NONCE_BYTES = 12


class PersonalKeyError(Exception):
    """The personal data key file exists but cannot be used."""


class SealBroken(Exception):
    """A sealed event cannot be opened: the key changed, or the body was altered."""


def load_or_create_personal_key(path: Path) -> bytes:
    """The key sealing personal data on this device, created (mode 0600) on first use (see
    key_files: a crash or a concurrent creator never leaves a short key or two keys)."""
    try:
        return load_or_create_key(path, "the personal data key")[0]
    except KeyFileError as error:
        raise PersonalKeyError(
            f"{error}; move the file away to create a new one (unsent personal events sealed"
            " with it will be dropped)"
        ) from None


def seal(event: Event, key: bytes) -> Event:
    """The event with its `data` replaced by `sealed`: nonce + AES-GCM ciphertext, base64."""
    # cryptography is imported on first use: ~7 MB of RSS a kiosk without ID cards never needs.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    plaintext = json.dumps(event["data"], ensure_ascii=False, separators=(",", ":")).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, event["id"].encode())
    body = {name: value for name, value in event.items() if name != "data"}
    body["sealed"] = base64.b64encode(sealed).decode("ascii")
    return body


def unseal(body: Event, key: bytes) -> Event:
    """The event as it is sent, from its sealed body."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        sealed = base64.b64decode(body["sealed"], validate=True)
        plaintext = AESGCM(key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], body["id"].encode()
        )
    except (KeyError, ValueError, InvalidTag):
        raise SealBroken(
            "its personal data cannot be decrypted on this device (the personal data key"
            " changed or the record was altered)"
        ) from None
    event = {name: value for name, value in body.items() if name != "sealed"}
    event["data"] = json.loads(plaintext)
    return event


def office_day_end(moment: datetime, office: OfficeConfig) -> datetime:
    """When the office day `moment` belongs to ends: the next day_starts_at."""
    return office.day_rule.end_of_day_containing(moment)


class PersonalData:
    """Writes personal events sealed into the outbox, opens them to send, drops them at the end
    of their office day. Call from worker threads (it writes to disk)."""

    def __init__(
        self,
        store: Store,
        key: bytes,
        office: OfficeConfig,
        clock: Callable[[], datetime] = aware_now,
    ) -> None:
        self._store = store
        self._key = key
        self._office = office
        self._clock = clock

    def add_event(self, event: Event) -> None:
        """Put a `citizen.identified` event into the outbox, sealed, expiring with its day."""
        if event["type"] != events.CITIZEN_IDENTIFIED:
            raise ValueError(f"{event['type']} events carry no personal data")
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        self._store.outbox.add_personal(
            seal(event, self._key), expires_at=office_day_end(occurred_at, self._office)
        )

    def open(self, body: Event) -> Event:
        """The sendable event from a sealed outbox body; raises SealBroken."""
        return unseal(body, self._key)

    def purge_expired(self) -> int:
        """Drop personal events whose office day is over; returns how many."""
        dropped = self._store.outbox.purge_expired_personal(self._clock())
        if dropped:
            log.info("dropped %d unsent personal events: their office day is over", dropped)
        return dropped


def open_personal_data(store: Store, data_dir: Path, office: OfficeConfig) -> PersonalData:
    return PersonalData(store, load_or_create_personal_key(data_dir / KEY_FILE), office)
