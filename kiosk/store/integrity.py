"""The device database's integrity check (`PRAGMA quick_check`), on a connection of its own
opened read-only: safe while the app writes (WAL readers never block the writer), and it never
creates or changes the file. Run at start-up, so that a damaged database is said at once rather
than at the first ticket, and by `kiosk doctor`."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from kiosk.store.connection import StorageCorrupt, storage_error

PROBLEMS_KEPT = 3  # quick_check lists every damaged page; the first few tell enough


def quick_check(path: Path, timeout: float = 5.0) -> None:
    """Raises StorageCorrupt naming the first problems `PRAGMA quick_check` finds in the
    database at `path`, or the StoreError of a database that cannot be read. On a read-only
    medium the file is opened immutable: no lock or shared-memory file can be made there, and
    nobody can write it meanwhile."""
    immutable = "&immutable=1" if _read_only_medium(path.parent) else ""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro{immutable}", uri=True, timeout=timeout)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise storage_error(e, path) from None
    answers = [str(row[0]) for row in rows]
    if answers != ["ok"]:
        raise StorageCorrupt(f"{path}: the file is damaged ({'; '.join(answers[:PROBLEMS_KEPT])})")


def _read_only_medium(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
