"""Identities sealed at rest with a key per office and office day, destroyed when the day ends.

A deleted row is not gone from disk: SQLite keeps it in its WAL and free pages, PostgreSQL in
the table's heap until a VACUUM and in its WAL segments (and any archive or backup) for good.
So an identity is stored only sealed (AES-256-GCM, bound to its event id) under the key of its
office day, and that key lives outside the database, in `<keys>/<office>/<day>.key` (0600, in a
0700 folder). The sweep deletes the keys of days that are over: from then on no copy of that
day's identities, anywhere, can be opened. Several server processes of one city share the
folder, as they share the database.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from common.key_files import KeyFileError, load_or_create_key, read_key

log = logging.getLogger(__name__)

NONCE_BYTES = 12
SEALED = "sealed"
_DAY_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})\.key")
_OFFICE_DIR = re.compile(r"\d{5}")


def default_key_dir(database_url: str) -> Path:
    """`central.db.keys` beside an SQLite file; `central-keys` here for PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database + ".keys")
    return Path("central-keys")


class DayKeys:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)

    def _path(self, office: str, day: date) -> Path:
        return self.folder / office / f"{day.isoformat()}.key"

    def key(self, office: str, day: date, *, create: bool) -> bytes | None:
        """The key of `office`'s `day`; made if `create`, else None when there is none."""
        path = self._path(office, day)
        try:
            if create:
                return load_or_create_key(path, "an identity day key")[0]
            return read_key(path, "an identity day key")
        except FileNotFoundError:
            return None
        except KeyFileError as error:
            log.error("%s", error)
            return None

    def destroy_days_before(self, office: str, today: date) -> int:
        """Delete the keys of `office`'s days before `today`; returns how many."""
        destroyed = 0
        for path in sorted((self.folder / office).glob("*.key")):
            match = _DAY_FILE.fullmatch(path.name)
            if match and date.fromisoformat(match.group(1)) < today:
                path.unlink(missing_ok=True)
                destroyed += 1
        return destroyed

    def offices(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if _OFFICE_DIR.fullmatch(p.name))


def seal(identity: dict[str, Any], key: bytes, event_id: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    plaintext = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, event_id.encode())
    return {SEALED: base64.b64encode(sealed).decode("ascii")}


def unseal(stored: dict[str, Any], key: bytes, event_id: str) -> dict[str, Any] | None:
    """The identity, or None when it cannot be opened (key destroyed or replaced)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        sealed = base64.b64decode(stored[SEALED], validate=True)
        plaintext = AESGCM(key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], event_id.encode()
        )
    except (KeyError, TypeError, ValueError, InvalidTag):
        return None
    identity = json.loads(plaintext)
    return identity if isinstance(identity, dict) else None
