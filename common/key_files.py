"""Secret key files a technician carries between devices: read, written and created safely.

A key file holds exactly 32 random bytes, mode 0600. It is written to a temporary file and then
moved (or, on creation, linked) into place, so a reader never sees half a key, a crash never
leaves one, and two processes creating the same key at once end up with the same one.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path

from common.atomic_files import fsync_folder, write_atomically

log = logging.getLogger(__name__)

KEY_BYTES = 32


class KeyFileError(Exception):
    """A key file cannot be read, written, or does not hold a key; the message says why."""


def read_key(path: Path, what: str) -> bytes:
    """The key in `path` (`what` names it in messages, e.g. "the badge key").

    Raises FileNotFoundError when there is none, KeyFileError when it is not a key. A file
    readable by others is made private (0600), with a warning.
    """
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                os.fchmod(f.fileno(), 0o600)
                log.warning("%s %s was readable by others; its mode is now 0600", what, path)
            key = f.read(KEY_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise KeyFileError(f"{path}: {what} cannot be read ({error.strerror})") from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"{path}: {what} must be exactly {KEY_BYTES} bytes, found {len(key)}"
            + (" or more" if len(key) > KEY_BYTES else "")
        )
    return key


def write_key(path: Path, key: bytes) -> None:
    """Put `key` in `path` (mode 0600), replacing any key there."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a key is {KEY_BYTES} bytes")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(path, key, 0o600)


def load_or_create_key(path: Path, what: str) -> tuple[bytes, bool]:
    """The key in `path`, created at random if there is none; (key, created)."""
    with suppress(FileNotFoundError):
        return read_key(path, what), False
    tmp = _write_temporary(path, secrets.token_bytes(KEY_BYTES))
    try:
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:  # another process won the race: its key is the one
            created = False
        fsync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return read_key(path, what), created


def _write_temporary(path: Path, key: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
