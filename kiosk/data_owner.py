"""Files in the data folder belong to the service's user, whoever runs the command.

`sudo kiosk enroll` used to leave central.json owned by root, mode 0600, and the service (user
`kiosk`) could then not read it. Now whatever a command run as root creates in the data folder
(the enrolment, the SQLite database and its -wal and -shm files, keys, logs) is given to the
folder's owner (or, before the folder exists, to the service user `kiosk`) when the command
ends; the modes stay (0600 files stay private, to their new owner). Run as any other user,
nothing changes. (Taking the owner's ids while working would not do: the interpreter and the
modules still to import need not be readable by that user, e.g. a Python under /root.)
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVICE_USER = "kiosk"  # the user of systemd/kiosk.service, made by the installer


def data_folder_owner(data_dir: Path) -> tuple[int, int] | None:
    """(uid, gid) the data folder's files must have when this process runs as root and that
    is another user; None when there is nothing to change."""
    if os.geteuid() != 0:
        return None
    try:
        info = data_dir.stat()
        uid, gid = info.st_uid, info.st_gid
    except FileNotFoundError:
        try:
            user = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return None
        uid, gid = user.pw_uid, user.pw_gid
    except OSError:  # not a folder, not reachable: the command says so itself
        return None
    return None if uid == 0 else (uid, gid)


@contextmanager
def as_data_owner(data_dir: Path) -> Iterator[None]:
    """Runs the block; then, run as root, gives what root made in the data folder to its owner
    (see the module's docstring). Also after a failure: what was made is the service's."""
    owner = data_folder_owner(data_dir)
    if owner is not None and not data_dir.exists():
        data_dir.mkdir(parents=True, mode=0o700)
    try:
        yield
    finally:
        if owner is not None:
            _hand_over(data_dir, owner)


def _hand_over(data_dir: Path, owner: tuple[int, int]) -> None:
    for path in (data_dir, *data_dir.rglob("*")):
        try:
            if path.lstat().st_uid == 0:
                os.lchown(path, *owner)
        except OSError:  # removed meanwhile (a temporary file)
            continue
