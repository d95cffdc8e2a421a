"""Replacing a file so that no crash leaves a part of it: a temporary file in the same folder,
flushed to disk, renamed over the old one, and the folder flushed too. Readers see the old file
or the new one. Standard library only: the devices and the central server use it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(
    path: Path,
    content: bytes,
    mode: int,
    *,
    owner: tuple[int, int] | None = None,
    before_rename: Callable[[Path], None] | None = None,
) -> None:
    """Replace `path` with `content`, mode `mode` whatever the umask, owned by `owner` (uid,
    gid) when given. `before_rename` is called with the written temporary file just before the
    rename (a test stops the process there)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            if owner is not None:
                os.fchown(f.fileno(), *owner)
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
        fsync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename or a link in it) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
