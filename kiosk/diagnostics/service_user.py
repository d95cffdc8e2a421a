"""The user the kiosk runs as, seen from a diagnosis that may run as root: the owner of the
data folder (the installer makes it the kiosk user's). Whether that user may read and write
a file is told from the file's mode, owner and group and the user's groups, as the kernel
would, without becoming that user."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceUser:
    uid: int
    name: str
    groups: frozenset[int]

    def may_read_write(self, path: Path) -> bool:
        return self._allowed(path.stat(), stat.S_IRUSR | stat.S_IWUSR)

    def may_read(self, path: Path) -> bool:
        return self._allowed(path.stat(), stat.S_IRUSR)

    def _allowed(self, info: os.stat_result, owner_bits: int) -> bool:
        if self.uid == 0:
            return True
        if info.st_uid == self.uid:
            shift = 0
        elif info.st_gid in self.groups:
            shift = 3
        else:
            shift = 6
        wanted = owner_bits >> shift
        return info.st_mode & wanted == wanted


def service_user(data_dir: Path) -> ServiceUser:
    """The owner of `data_dir` (this process's user when it does not exist yet)."""
    try:
        uid = data_dir.stat().st_uid
    except OSError:
        uid = os.getuid()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:  # a uid with no name: only its own files
        return ServiceUser(uid, str(uid), frozenset())
    groups = frozenset(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return ServiceUser(uid, entry.pw_name, groups)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
