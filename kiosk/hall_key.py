"""The office's hall key: what signs (counter) and checks (display) the calls sent over the
office network (kiosk.hall_network).

The central server hands it to the office's counters and displays
(`GET /api/v1/offices/{office}/hall-key`); each device keeps it in `<data_dir>/hall.key`
(32 bytes, mode 0600, common.key_files) with its id in `hall.key.id`, so that it keeps working
while the server is unreachable. It is fetched again at start and every few minutes: a new key
id replaces the cached key, and the one before is still accepted by this process (the
display), so that the counters that have not fetched the new key yet still get through.

A device that never reached the server has no key: it can neither sign nor check, and its
status says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from common.atomic_files import write_atomically
from common.key_files import KeyFileError, read_key, write_key
from common.office_clock import aware_now
from kiosk.central_client import CentralClient, CentralError
from kiosk.enrolment import CentralLink
from kiosk.i18n import N_

log = logging.getLogger(__name__)

KEY_FILE = "hall.key"
KEY_ID_FILE = "hall.key.id"
KEY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
REFRESH_SECONDS = 300.0  # with a key: fetched again this often
RETRY_SECONDS = 30.0  # without one: tried again this often

# The technician's words for the key's state (msgids; HallKeyStatus.words).
KEY_READY = N_("Hall key {key_id}: calls over the office network are signed and checked.")
KEY_NOT_REFRESHED = N_(
    "Hall key {key_id}, not refreshed since {time}: the central server cannot be reached."
)
KEY_CACHED = N_(
    "Hall key {key_id}, kept on this device: the central server cannot be reached to refresh it."
)
NO_KEY = N_(
    "No hall key: calls over the office network can be neither sent nor checked until this"
    " device has reached the central server."
)


@dataclass(frozen=True)
class HallKey:
    key_id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class HallKeyStatus:
    """The key held, when it was last fetched (None: only the cached one), and why the last
    fetch failed ("": it worked, or none was tried yet; English, for the log)."""

    key_id: str | None
    fetched_at: datetime | None
    problem: str

    @property
    def ready(self) -> bool:
        return self.key_id is not None

    def words(self, zone: tzinfo | None = None) -> tuple[str, dict[str, Any]]:
        """The msgid for a person and its values: `t(msgid).format(**values)`; times in
        `zone` (the office's) when given."""
        if self.key_id is None:
            return NO_KEY, {}
        if self.problem and self.fetched_at is None:
            return KEY_CACHED, {"key_id": self.key_id}
        if self.problem:
            fetched = self.fetched_at.astimezone(zone) if zone else self.fetched_at
            return KEY_NOT_REFRESHED, {"key_id": self.key_id, "time": f"{fetched:%H:%M}"}
        return KEY_READY, {"key_id": self.key_id}


class HallKeyStore:
    """This device's hall key: the cached one at once, refreshed from the central server.

    `central`: this store's own link or client (a client is used by one thread only: the
    refresher's, once started). Thread-safe otherwise.
    """

    def __init__(
        self,
        data_dir: Path,
        office: str,
        central: CentralLink | CentralClient | None,
        clock: Callable[[], datetime] = aware_now,
    ) -> None:
        self._data_dir = data_dir
        self._office = office
        self._central = central
        self._clock = clock
        self._lock = threading.Lock()
        self._current: HallKey | None = _load(data_dir)
        self._previous: HallKey | None = None
        self._fetched_at: datetime | None = None
        self._problem = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> HallKey | None:
        """The key to sign with, None when this device has none."""
        with self._lock:
            return self._current

    def keys(self) -> dict[str, bytes]:
        """The keys a message may be signed with, by id: the current and the one before."""
        with self._lock:
            held = [k for k in (self._previous, self._current) if k is not None]
        return {k.key_id: k.key for k in held}

    def status(self) -> HallKeyStatus:
        with self._lock:
            key_id = None if self._current is None else self._current.key_id
            return HallKeyStatus(key_id, self._fetched_at, self._problem)

    def refresh(self) -> bool:
        """Fetch the key from the central server and cache it when it changed. True when it
        was fetched; on failure the cached key stays and `status().problem` says why."""
        try:
            key_id, key = self._fetch()
            if not KEY_ID.fullmatch(key_id):
                raise CentralError("The central server gave a hall key with an unusable id.")
        except CentralError as error:
            with self._lock:
                first = self._problem != str(error)
                self._problem = str(error)
            if first:
                log.warning("hall key not refreshed: %s", error)
            return False
        fetched = HallKey(key_id, key)
        with self._lock:
            changed = self._current != fetched
        if changed:
            try:
                store_hall_key(self._data_dir, fetched)
            except OSError as error:
                log.error("hall key cannot be stored in %s: %s", self._data_dir, error)
            log.info("hall key %s in use", key_id)
        with self._lock:
            if changed:
                if self._current is not None and self._current.key_id != key_id:
                    self._previous = self._current
                self._current = fetched
            self._fetched_at = self._clock()
            self._problem = ""
        return True

    def start(self) -> None:
        """Refresh now and then every few minutes (every half minute while no key is held),
        on a thread of its own."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hall-key", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # still waiting on the server: its client stays open
                return
            self._thread = None
        if isinstance(self._central, CentralLink):
            self._central.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # never let the refresher die: the cached key keeps working
                log.exception("hall key refresh failed")
            wait = REFRESH_SECONDS if self.current() is not None else RETRY_SECONDS
            self._stop.wait(wait)

    def _fetch(self) -> tuple[str, bytes]:
        central = self._central
        if isinstance(central, CentralLink):
            client = central.current()
            if client is None:
                raise CentralError(central.problem)
            return client.hall_key(self._office)
        if central is None:
            raise CentralError("This device has no central server.")
        return central.hall_key(self._office)


def _check(key: bytes) -> str:
    """A digest that ties the id file to the key file (a crash between their writes leaves
    them apart): it names the key without revealing it."""
    return hashlib.sha256(b"hall-key-check:" + key).hexdigest()[:16]


def _load(data_dir: Path) -> HallKey | None:
    """The cached key, or None: none cached, or unusable (logged)."""
    key_path, id_path = data_dir / KEY_FILE, data_dir / KEY_ID_FILE
    try:
        key = read_key(key_path, "the hall key")
        record = json.loads(id_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (KeyFileError, OSError, ValueError) as error:
        log.warning("the cached hall key cannot be used, it will be fetched again: %s", error)
        return None
    key_id = record.get("key_id") if isinstance(record, dict) else None
    check = record.get("check") if isinstance(record, dict) else None
    if not (isinstance(key_id, str) and KEY_ID.fullmatch(key_id)) or not isinstance(check, str):
        log.warning("%s is damaged; the hall key will be fetched again", id_path)
        return None
    if not hmac.compare_digest(check, _check(key)):
        log.warning("%s does not match %s; the hall key will be fetched again", id_path, key_path)
        return None
    return HallKey(key_id, key)


def store_hall_key(data_dir: Path, hall_key: HallKey) -> None:
    """Cache `hall_key` in `data_dir`: the id file first, then the key, each replaced whole
    (a crash between leaves a mismatch that _load detects)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    id_path = data_dir / KEY_ID_FILE
    text = json.dumps({"key_id": hall_key.key_id, "check": _check(hall_key.key)})
    write_atomically(id_path, text.encode("utf-8"), 0o600)
    write_key(data_dir / KEY_FILE, hall_key.key)
