"""Writing the site's kiosk.toml: what provisioning sets, saved so that no crash can lose it.

The site file is /etc/kiosk/kiosk.toml, or the kiosk.toml of the folder (or the file) given with
--config. A device is *provisioned* once its site file sets [device] role: without one it runs
the setup screen, whatever the shipped defaults say (they name a lobby, so that the demo and
the tests need no site file, but a device in an office must have been told what it is).

Saving: the new text is made from the old with tomlkit, so the site's other keys and its
comments stay; it is validated as `load_config` will read it (with the folder's other files),
then written to a temporary file in the same folder, flushed to disk, renamed over the old file
and the folder flushed too. A crash at any point leaves the old file or the new one, never a
part; a temporary file a crash left behind is removed by the next save. The file keeps the mode
and owner it had (new: 0644, owned by whoever saves it, root under sudo).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from common.atomic_files import write_atomically
from kiosk import paths
from kiosk.config.loader import CONFIG_FILES, KIOSK_FILE, Config, load_config
from kiosk.config.reader import ConfigError

NEW_FILE_MODE = 0o644
# Table -> key -> value: what a save sets; the other keys of the file stay as they are.
Changes = Mapping[str, Mapping[str, Any]]


def site_file(override: Path | None) -> Path:
    """The site's kiosk.toml for a --config value (None: /etc/kiosk)."""
    if override is None:
        return paths.DEFAULT_OVERRIDE_DIR / KIOSK_FILE
    if override.is_dir() or not override.suffix:
        return override / KIOSK_FILE
    return override


def is_provisioned(override: Path | None) -> bool:
    """Whether the site file sets [device] role (a file that cannot be read counts as set:
    `load_config` then reports what is wrong with it, rather than the setup screen hiding it)."""
    path = site_file(override)
    try:
        with path.open("rb") as f:
            device = tomllib.load(f).get("device", {})
    except FileNotFoundError:
        return False
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return True
    return isinstance(device, dict) and "role" in device


@dataclass(frozen=True)
class SiteChange:
    """A site file's new text, checked, and the configuration it gives; not yet written."""

    path: Path
    text: str
    config: Config  # as load_config will read it once written (sources name a staging copy)
    mode: int
    owner: tuple[int, int] | None

    def save(self, *, before_rename: Callable[[Path], None] | None = None) -> None:
        """Write it, atomically. `before_rename` is called with the written temporary file
        just before it replaces the site file (the crash test stops the process there)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        _remove_leftovers(self.path)
        write_atomically(
            self.path, self.text.encode(), self.mode, owner=self.owner, before_rename=before_rename
        )


def prepare_site_config(override: Path | None, changes: Changes) -> SiteChange:
    """`changes` set in the site file's text, and checked as `load_config` will read it.

    Raises ConfigError when the result would not load (the message names the site file).
    """
    path = site_file(override)
    try:
        old_text = path.read_text(encoding="utf-8")
        old_stat: os.stat_result | None = path.stat()
    except FileNotFoundError:
        old_text, old_stat = "", None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read — {error}") from None
    try:
        document = tomlkit.parse(old_text)
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(f"{path}: not valid TOML — {error}") from None
    for table_name, values in changes.items():
        table = document.setdefault(table_name, tomlkit.table())
        for key, value in values.items():
            table[key] = value
    text = tomlkit.dumps(document)
    mode = NEW_FILE_MODE if old_stat is None else stat.S_IMODE(old_stat.st_mode)
    owner = None
    if old_stat is not None and os.geteuid() == 0:
        owner = (old_stat.st_uid, old_stat.st_gid)
    return SiteChange(path, text, _staged_config(path, text), mode, owner)


def write_site_config(
    override: Path | None,
    changes: Changes,
    *,
    before_rename: Callable[[Path], None] | None = None,
) -> Config:
    """Set `changes` in the site file, atomically; returns the configuration as now read.

    Raises ConfigError, with nothing written, when the result would not load, and OSError when
    the folder cannot be written.
    """
    prepare_site_config(override, changes).save(before_rename=before_rename)
    return load_config(override)


def _staged_config(path: Path, text: str) -> Config:
    """`text` loaded as the site file, beside the folder's other configuration files."""
    with tempfile.TemporaryDirectory(prefix="kiosk-site-") as staging:
        folder = Path(staging)
        (folder / KIOSK_FILE).write_text(text, encoding="utf-8")
        if path.name == KIOSK_FILE:
            for name in CONFIG_FILES:
                if name != KIOSK_FILE and (path.parent / name).exists():
                    (folder / name).symlink_to(path.parent / name)
        try:
            return load_config(folder)
        except ConfigError as error:
            # Name the site file, not the staging copy the error was found in.
            raise ConfigError(str(error).replace(str(folder / KIOSK_FILE), str(path))) from None


def _remove_leftovers(path: Path) -> None:
    """Temporary files an interrupted save left in the folder."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
