"""Reading one configuration file: TOML in NFC, merged key by key over its shipped default.

Owns `ConfigError` and the typed accessors the file modules parse with: a `Document` (a file and
its override, remembering who set each key) and its `Table`s, which check each key and refuse
any they did not read, naming the file, the key and what is allowed. No kiosk key is named here.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

log = logging.getLogger(__name__)

_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

KeyPath = tuple[str, ...]


class ConfigError(Exception):
    """A configuration file is missing, malformed or holds a value that is not allowed."""


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return _nfc(tomllib.load(f))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML — {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not valid UTF-8 text — {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read — {e.strerror}") from None


def _rename_tables(
    data: dict[str, Any], source: Path, renamed: Mapping[str, str]
) -> tuple[str, ...]:
    """Read a table under its old name as its new one (in place); returns what to tell the
    technician, also logged once."""
    notices: list[str] = []
    for old, new in renamed.items():
        if old not in data:
            continue
        if new in data:
            raise ConfigError(
                f"{source}: [{old}] and [{new}] — [{old}] is now called [{new}]; keep only [{new}]"
            )
        notice = f"{source}: [{old}] is now called [{new}]; read as [{new}]"
        log.warning("%s", notice)
        notices.append(notice)
        data[new] = data.pop(old)
    return tuple(notices)


@dataclass
class Document:
    """One configuration file merged over its shipped default, remembering who set each key."""

    data: dict[str, Any]
    shipped: Path
    origins: dict[KeyPath, Path]
    sources: tuple[Path, ...]
    notices: tuple[str, ...] = ()  # what a technician should change, though it is still read

    @classmethod
    def load(
        cls, shipped: Path, override: Path | None, renamed: Mapping[str, str] | None = None
    ) -> Document:
        """`renamed`: old name → new name of top-level tables, for overrides written before."""
        doc = cls(_read_toml(shipped), shipped, {}, (shipped,))
        if override is not None:
            over = _read_toml(override)
            doc.notices = _rename_tables(over, override, renamed or {})
            doc.merge(over, override)
            doc.sources += (override,)
        return doc

    def merge(self, over: dict[str, Any], source: Path) -> None:
        _deep_merge(self.data, over, (), self.origins, source)

    def origin(self, keypath: KeyPath) -> Path:
        """The file that set this key (or the table or list holding it)."""
        for end in range(len(keypath), 0, -1):
            if keypath[:end] in self.origins:
                return self.origins[keypath[:end]]
        return self.shipped

    def origin_of_any(self, keypaths: Iterable[KeyPath]) -> Path:
        """For a fault that comes from several keys: the override that set one of them, if any."""
        for keypath in keypaths:
            below = [src for key, src in self.origins.items() if key[: len(keypath)] == keypath]
            source = below[0] if below else self.origin(keypath)
            if source != self.shipped:
                return source
        return self.shipped

    def root(self) -> Table:
        return Table(self, (), self.data, "")


def _deep_merge(
    base: dict[str, Any],
    over: dict[str, Any],
    keypath: KeyPath,
    origins: dict[KeyPath, Path],
    source: Path,
) -> None:
    """Merge tables key by key; anything else (a value, a list such as [[fields]]) replaces."""
    for key, value in over.items():
        here = (*keypath, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value, here, origins, source)
            continue
        base[key] = copy.deepcopy(value)
        for stale in [k for k in origins if k[: len(here)] == here]:
            del origins[stale]
        origins[here] = source


def toml_repr(value: Any) -> str:
    """A value as it is written in TOML, for messages (a table or list only named)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "(a table)"
    if isinstance(value, list):
        return "(a list)"
    return str(value)


class Table:
    """Reads and checks the keys of one TOML table, then refuses any key it did not read."""

    def __init__(self, doc: Document, keypath: KeyPath, data: dict[str, Any], title: str) -> None:
        self.doc = doc
        self.keypath = keypath
        self.data = data
        self.title = title
        self.read: list[str] = []

    def _where(self, key: str, related: tuple[str, ...] = ()) -> str:
        source = self.doc.origin_of_any((*self.keypath, k) for k in (key, *related))
        return f"{source}: {self.title}{' ' if self.title else ''}"

    def fail(
        self, key: str, allowed: str, *, related: tuple[str, ...] = (), show_value: bool = True
    ) -> NoReturn:
        """Stop on a bad value. `related`: other keys the rule involves (to name the right file)."""
        shown = f" = {toml_repr(self.data[key])}" if show_value and key in self.data else ""
        raise ConfigError(f"{self._where(key, related)}{key}{shown} — {allowed}")

    def take(self, key: str, allowed: str) -> Any:
        """The raw value of a key that must be present."""
        self.read.append(key)
        if key not in self.data:
            raise ConfigError(f"{self._where(key)}{key} is missing — {allowed}")
        return self.data[key]

    def table(self, key: str) -> Table:
        value = self.take(key, f"[{key}] must be a table")
        if not isinstance(value, dict):
            self.fail(key, f"[{key}] must be a table")
        return Table(self.doc, (*self.keypath, key), value, f"[{key}]")

    def tables(self, key: str) -> list[Table]:
        """An array of tables ([[key]]), at least one."""
        allowed = f"must be one or more [[{key}]] tables"
        value = self.take(key, allowed)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.fail(key, allowed)
        out = []
        for index, item in enumerate(value):
            name = item.get("id")
            title = f"[[{key}]] #{index + 1}" + (
                f" (id {toml_repr(name)})" if isinstance(name, str) else ""
            )
            out.append(Table(self.doc, (*self.keypath, key, str(index)), item, title))
        return out

    def text(
        self,
        key: str,
        allowed: str = "must be non-empty text",
        pattern: re.Pattern[str] | None = None,
    ) -> str:
        value = self.take(key, allowed)
        if not isinstance(value, str):
            self.fail(key, allowed)
        if (pattern is None and not value.strip()) or (pattern and not pattern.fullmatch(value)):
            self.fail(key, allowed)
        return value

    def choice(self, key: str, options: Iterable[Any]) -> Any:
        options = tuple(options)
        allowed = "must be one of " + ", ".join(toml_repr(o) for o in options)
        value = self.take(key, allowed)
        if isinstance(value, bool) or value not in options:
            self.fail(key, allowed)
        return value

    def integer(self, key: str, low: int, high: int, unit: str = "", note: str = "") -> int:
        of_unit = f" of {unit}" if unit else ""
        allowed = f"must be a whole number{of_unit} from {low} to {high}{note}"
        value = self.take(key, allowed)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, allowed)
        return value

    def optional_integer(self, key: str, low: int, high: int, unit: str = "") -> int | None:
        """A whole number from low to high, or None when the key is left out."""
        if key in self.data:
            return self.integer(key, low, high, unit)
        self.read.append(key)  # still named among the allowed keys
        return None

    def seconds(self, key: str, low: float, high: float) -> float:
        allowed = f"must be a number of seconds from {low:g} to {high:g}"
        value = self.take(key, allowed)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, allowed)
        if not low <= value <= high:
            self.fail(key, allowed)
        return float(value)

    def boolean(self, key: str) -> bool:
        value = self.take(key, "must be true or false")
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
        return value

    def optional_boolean(self, key: str, default: bool) -> bool:
        if key in self.data:
            return self.boolean(key)
        self.read.append(key)  # still named among the allowed keys
        return default

    def text_list(
        self,
        key: str,
        allowed: str,
        count: int | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> tuple[str, ...]:
        """A list of texts: each non-empty (or matching `pattern`), `count` of them if given."""
        value = self.take(key, allowed)
        if not isinstance(value, list) or (count is not None and len(value) != count):
            self.fail(key, allowed)
        for item in value:
            if not isinstance(item, str) or not (
                pattern.fullmatch(item) if pattern else item.strip()
            ):
                self.fail(key, allowed)
        return tuple(value)

    def integer_list(self, key: str, low: int, high: int) -> tuple[int, ...]:
        """A non-empty list of distinct whole numbers from low to high."""
        allowed = f"must be a list of distinct whole numbers from {low} to {high}, at least one"
        value = self.take(key, allowed)
        if not isinstance(value, list) or not value or len(set(value)) != len(value):
            self.fail(key, allowed)
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                self.fail(key, allowed)
        return tuple(value)

    def time_of_day(self, key: str) -> time:
        allowed = 'must be a time of day written "HH:MM" (24-hour clock), e.g. "07:30"'
        value = self.take(key, allowed)
        if isinstance(value, time) and value.tzinfo is None:
            return value
        match = _HH_MM.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.fail(key, allowed)
        return time(int(match[1]), int(match[2]))

    def iso_date(self, key: str) -> date:
        allowed = 'must be a date written "YYYY-MM-DD", e.g. "2025-07-01"'
        value = self.take(key, allowed)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(key, allowed)

    def finish(self) -> None:
        unknown = [key for key in self.data if key not in self.read]
        if unknown:
            kind = "unknown key" if self.title else "unknown table or key"
            allowed = ", ".join(self.read)
            raise ConfigError(f"{self._where(unknown[0])}{unknown[0]} — {kind}; allowed: {allowed}")
