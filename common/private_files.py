"""Database files only their owner can read: created 0600, tightened to 0600 if found wider.

SQLite creates the `-wal` and `-shm` files with the database file's mode, so a database created
private stays private in every file. Standard library only: the central server uses it too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_database_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist; take group and other access
    away from it and its SQLite companions if they have any (files not ours are left alone)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))
    for file in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        try:
            mode = file.stat().st_mode
            if stat.S_IMODE(mode) & 0o077:
                os.chmod(file, PRIVATE)
        except (FileNotFoundError, PermissionError):
            continue
