"""Configuration: the shipped defaults in `config/`, overridden per site, validated at start-up.

Five files, each merged key by key over its shipped default: kiosk.toml (office, device,
display, printer, lobby, technician, central, counter), catalogue.toml (the fields a citizen
picks, with their number ranges), printers.toml (printer model profiles), and for the counter
terminal rating.toml (the dual rating's questions, scales, reasons and outcomes) and
officers.toml (who may sign in at a counter). Everything is checked here, once:
a bad value stops start-up with a message naming the file, the key and what is allowed, and an
unknown key is an error too, so a typo is never silently ignored.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import tomllib
import unicodedata
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.office_clock import OfficeDayRule
from devices.profiles import PrinterProfile
from kiosk import paths

KIOSK_FILE = "kiosk.toml"
CATALOGUE_FILE = "catalogue.toml"
PRINTERS_FILE = "printers.toml"
RATING_FILE = "rating.toml"
OFFICERS_FILE = "officers.toml"
CONFIG_FILES = (KIOSK_FILE, CATALOGUE_FILE, PRINTERS_FILE, RATING_FILE, OFFICERS_FILE)

ROLES = ("lobby", "counter")
LANGUAGES = ("vi", "en")
KEYPAD_ALLOWED = 'must be "" (no rating keypad) or the port of the keypad, e.g. "/dev/ttyACM1"'
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)

_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_OFFICE_CODE = re.compile(r"[0-9]{5}")
_DEVICE_ID = re.compile(r"[a-z0-9-]{1,32}")
_FIELD_ID = re.compile(r"[a-z0-9-]+")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_PREFIX = re.compile(r"[A-Z]{0,3}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHOICE_ID = re.compile(r"[a-z0-9-]{1,64}")
_PIN_HASH = re.compile(r"scrypt\$([0-9]+)\$([0-9]+)\$([0-9]+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)")

_SCRYPT_N = 16384
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


class ConfigError(Exception):
    """A configuration file is missing, malformed or holds a value that is not allowed."""


@dataclass(frozen=True)
class OfficeConfig:
    code: str
    code_list_date: date
    name: str
    centre: str
    timezone: ZoneInfo
    opens_at: time
    closes_at: time
    day_starts_at: time
    # Tickets are issued from opens_at minus this many minutes until closes_at; outside those
    # hours the lobby says the office is closed, unless closed_outside_hours is false.
    tickets_before_opening: int
    closed_outside_hours: bool

    @property
    def day_rule(self) -> OfficeDayRule:
        """The office day of this office (common.office_clock, shared with the server)."""
        return OfficeDayRule(self.timezone, self.day_starts_at)


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    role: str
    data_dir: Path
    language: str


@dataclass(frozen=True)
class DisplayConfig:
    width: int
    height: int
    fullscreen: bool
    dpi: int


@dataclass(frozen=True)
class PrinterConfig:
    url: str
    profile: str
    baudrate: int
    write_timeout: float
    status_interval: float


@dataclass(frozen=True)
class ScannerConfig:
    """The 2D QR imager that reads citizen ID cards. mode "none": the lobby does not offer it."""

    mode: str  # "none" | "serial" | "keyboard"
    url: str
    baudrate: int
    suffix: str  # "auto" | "CR" | "LF" | "CRLF"
    debounce_seconds: float


@dataclass(frozen=True)
class LobbyConfig:
    idle_timeout: int
    ticket_screen_seconds: int
    print_failed_screen_seconds: int


@dataclass(frozen=True)
class TechnicianConfig:
    pin_hash: str = field(repr=False)


@dataclass(frozen=True)
class CentralConfig:
    """Where this device sends its events. `url` "" means: the URL stored by `kiosk enroll`
    (and no sync at all when the device is not enrolled); `ca_bundle` None means the system's
    certificate authorities. TLS certificates are always verified."""

    url: str
    ca_bundle: Path | None
    timeout: float
    batch_size: int
    max_backoff: float
    # Beyond this many seconds between the device's clock and the server's, the device says so
    # and issues tickets on the server's time (kiosk.server_clock).
    clock_margin: float


@dataclass(frozen=True)
class FieldConfig:
    """A field (lĩnh vực) of the catalogue and the range its ticket numbers come from."""

    id: str
    name_vi: str
    name_en: str
    colour: str
    prefix: str
    first: int
    last: int
    digits: int

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi

    def label(self, number: int) -> str:
        """The ticket label: prefix + number padded to `digits` (prefix "A", 7, 3 → "A007")."""
        return f"{self.prefix}{number:0{self.digits}d}"


@dataclass(frozen=True)
class Catalogue:
    priority_enabled: bool
    fields: tuple[FieldConfig, ...]

    def get(self, field_id: str) -> FieldConfig | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True)
class CounterConfig:
    """The counter terminal. `fields` is never empty here: [] in kiosk.toml means every field
    of the catalogue, and is resolved to their ids."""

    number: int
    fields: tuple[str, ...]
    officer_idle_signout: int  # minutes
    signin_lock_minutes: int
    rating_seconds: int
    instant_press_ms: int
    min_session_seconds: int
    top_burst_count: int
    top_burst_minutes: int
    keypad_url: str  # "" = no physical rating keypad


@dataclass(frozen=True)
class Choice:
    """One item of a configured list (a reason, an outcome, a criterion): its id travels in
    events, its words are shown."""

    id: str
    vi: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.vi


@dataclass(frozen=True)
class Outcome(Choice):
    no_show: bool


@dataclass(frozen=True)
class Scale:
    """A rating scale: level 1 is the best; `negative` levels ask the citizen for reasons."""

    levels: int
    labels_vi: tuple[str, ...]
    labels_en: tuple[str, ...]
    negative: frozenset[int]

    def label(self, level: int, language: str) -> str:
        labels = self.labels_en if language == "en" else self.labels_vi
        return labels[level - 1]


@dataclass(frozen=True)
class RatingConfig:
    citizen_scale: Scale
    question_vi: str
    question_en: str
    reasons: tuple[Choice, ...]
    outcomes: tuple[Outcome, ...]
    officer_scale: Scale
    officer_criteria: tuple[Choice, ...]

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_vi

    def outcome(self, outcome_id: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    @property
    def no_show(self) -> Outcome:
        """The one outcome meaning the citizen did not come (checked at load time)."""
        return next(o for o in self.outcomes if o.no_show)


@dataclass(frozen=True)
class OfficerConfig:
    id: str
    name: str
    title: str
    pin_hash: str = field(repr=False)
    badge: bool  # false: this officer's badge QR is refused


@dataclass(frozen=True)
class Config:
    office: OfficeConfig
    device: DeviceConfig
    display: DisplayConfig
    printer: PrinterConfig
    lobby: LobbyConfig
    technician: TechnicianConfig
    central: CentralConfig
    scanner: ScannerConfig
    catalogue: Catalogue
    printer_profile: PrinterProfile
    sources: tuple[Path, ...]  # kiosk.toml, catalogue.toml, printers.toml and their overrides
    counter: CounterConfig
    rating: RatingConfig
    officers: tuple[OfficerConfig, ...]
    counter_sources: tuple[Path, ...]  # rating.toml, officers.toml and their overrides

    def officer(self, officer_id: str) -> OfficerConfig | None:
        return next((o for o in self.officers if o.id == officer_id), None)


def load_config(override: Path | None = None) -> Config:
    """Load the shipped configuration merged with a site override.

    `override` is a directory holding any of kiosk.toml, catalogue.toml, printers.toml,
    rating.toml, officers.toml, or a single file used as the kiosk.toml override. None means
    /etc/kiosk/ when it exists.
    """
    overrides = _override_files(override)
    kiosk = _Document.load(paths.SHIPPED_CONFIG_DIR / KIOSK_FILE, overrides.get(KIOSK_FILE))
    catalogue = _Document.load(
        paths.SHIPPED_CONFIG_DIR / CATALOGUE_FILE, overrides.get(CATALOGUE_FILE)
    )
    printers = _Document.load(
        paths.SHIPPED_CONFIG_DIR / PRINTERS_FILE, overrides.get(PRINTERS_FILE)
    )

    root = kiosk.root()
    office = _office(root.table("office"))
    device = _device(root.table("device"))
    display = _display(root.table("display"))
    printer_table = root.table("printer")
    printer = _printer(printer_table)
    lobby = _lobby(root.table("lobby"))
    technician = _technician(root.table("technician"))
    central = _central(root.table("central"))
    scanner = _scanner(root.table("scanner"))
    counter_table = root.table("counter")
    root.finish()

    profiles = _profiles(printers)
    if printer.profile not in profiles:
        names = ", ".join(_toml_repr(name) for name in profiles)
        printer_table.fail("profile", f"must be one of the profiles in printers.toml: {names}")
    parsed_catalogue = _catalogue(catalogue)
    rating = _Document.load(paths.SHIPPED_CONFIG_DIR / RATING_FILE, overrides.get(RATING_FILE))
    officers = _Document.load(
        paths.SHIPPED_CONFIG_DIR / OFFICERS_FILE, overrides.get(OFFICERS_FILE)
    )

    return Config(
        office=office,
        device=device,
        display=display,
        printer=printer,
        lobby=lobby,
        technician=technician,
        central=central,
        scanner=scanner,
        catalogue=parsed_catalogue,
        printer_profile=profiles[printer.profile],
        sources=kiosk.sources + catalogue.sources + printers.sources,
        counter=_counter(counter_table, parsed_catalogue),
        rating=_rating(rating),
        officers=_officers(officers),
        counter_sources=rating.sources + officers.sources,
    )


def _override_files(override: Path | None) -> dict[str, Path]:
    if override is None:
        if not paths.DEFAULT_OVERRIDE_DIR.is_dir():
            return {}
        override = paths.DEFAULT_OVERRIDE_DIR
    if override.is_dir():
        return {name: override / name for name in CONFIG_FILES if (override / name).exists()}
    if override.exists():
        return {KIOSK_FILE: override}
    raise ConfigError(f"{override}: no such configuration file or directory")


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


KeyPath = tuple[str, ...]


@dataclass
class _Document:
    """One configuration file merged over its shipped default, remembering who set each key."""

    data: dict[str, Any]
    shipped: Path
    origins: dict[KeyPath, Path]
    sources: tuple[Path, ...]

    @classmethod
    def load(cls, shipped: Path, override: Path | None) -> _Document:
        doc = cls(_read_toml(shipped), shipped, {}, (shipped,))
        if override is not None:
            doc.merge(_read_toml(override), override)
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

    def root(self) -> _Table:
        return _Table(self, (), self.data, "")


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


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "(a table)"
    if isinstance(value, list):
        return "(a list)"
    return str(value)


class _Table:
    """Reads and checks the keys of one TOML table, then refuses any key it did not read."""

    def __init__(self, doc: _Document, keypath: KeyPath, data: dict[str, Any], title: str):
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
        shown = f" = {_toml_repr(self.data[key])}" if show_value and key in self.data else ""
        raise ConfigError(f"{self._where(key, related)}{key}{shown} — {allowed}")

    def take(self, key: str, allowed: str) -> Any:
        """The raw value of a key that must be present."""
        self.read.append(key)
        if key not in self.data:
            raise ConfigError(f"{self._where(key)}{key} is missing — {allowed}")
        return self.data[key]

    def table(self, key: str) -> _Table:
        value = self.take(key, f"[{key}] must be a table")
        if not isinstance(value, dict):
            self.fail(key, f"[{key}] must be a table")
        return _Table(self.doc, (*self.keypath, key), value, f"[{key}]")

    def tables(self, key: str) -> list[_Table]:
        """An array of tables ([[key]]), at least one."""
        allowed = f"must be one or more [[{key}]] tables"
        value = self.take(key, allowed)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.fail(key, allowed)
        out = []
        for index, item in enumerate(value):
            name = item.get("id")
            title = f"[[{key}]] #{index + 1}" + (
                f" (id {_toml_repr(name)})" if isinstance(name, str) else ""
            )
            out.append(_Table(self.doc, (*self.keypath, key, str(index)), item, title))
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
        allowed = "must be one of " + ", ".join(_toml_repr(o) for o in options)
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


def _office(t: _Table) -> OfficeConfig:
    code = t.text("code", 'must be the 5-digit ward code, e.g. "00637"', _OFFICE_CODE)
    code_list_date = t.iso_date("code_list_date")
    name = t.text("name")
    centre = t.text("centre")
    zone_allowed = 'must be an IANA time zone name, e.g. "Asia/Ho_Chi_Minh"'
    zone_name = t.text("timezone", zone_allowed)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        t.fail("timezone", zone_allowed)
    opens_at = t.time_of_day("opens_at")
    closes_at = t.time_of_day("closes_at")
    day_starts_at = t.time_of_day("day_starts_at")
    if closes_at <= opens_at:
        t.fail(
            "closes_at", f"must be later than opens_at ({opens_at:%H:%M})", related=("opens_at",)
        )
    if day_starts_at > opens_at:
        t.fail(
            "day_starts_at",
            f"must not be later than opens_at ({opens_at:%H:%M}):"
            " numbering restarts before the doors open",
            related=("opens_at",),
        )
    tickets_before_opening = t.integer("tickets_before_opening", 0, 240, "minutes")
    closed_outside_hours = t.boolean("closed_outside_hours")
    first_ticket = datetime.combine(date(2000, 1, 1), opens_at) - timedelta(
        minutes=tickets_before_opening
    )
    if first_ticket.date() < date(2000, 1, 1) or first_ticket.time() < day_starts_at:
        t.fail(
            "tickets_before_opening",
            f"must leave the first ticket after day_starts_at ({day_starts_at:%H:%M})",
            related=("opens_at", "day_starts_at"),
        )
    t.finish()
    return OfficeConfig(
        code,
        code_list_date,
        name,
        centre,
        zone,
        opens_at,
        closes_at,
        day_starts_at,
        tickets_before_opening,
        closed_outside_hours,
    )


def _device(t: _Table) -> DeviceConfig:
    device_id = t.text(
        "id", "must be 1 to 32 characters: lowercase letters a-z, digits and '-'", _DEVICE_ID
    )
    role = t.choice("role", ROLES)
    data_dir = Path(t.text("data_dir", 'must be an absolute path, e.g. "/var/lib/kiosk"'))
    if not data_dir.is_absolute():
        t.fail("data_dir", 'must be an absolute path, e.g. "/var/lib/kiosk"')
    language = t.choice("language", LANGUAGES)
    t.finish()
    return DeviceConfig(device_id, role, data_dir, language)


def _display(t: _Table) -> DisplayConfig:
    width = t.integer("width", 320, 7680, "pixels")
    height = t.integer("height", 240, 4320, "pixels")
    fullscreen = t.boolean("fullscreen")
    dpi = t.integer("dpi", 60, 400, note=" (dots per inch of the panel)")
    t.finish()
    return DisplayConfig(width, height, fullscreen, dpi)


def _printer(t: _Table) -> PrinterConfig:
    url = t.text(
        "url", 'must be a pyserial URL or device path, e.g. "/dev/ttyUSB0", "socket://host:9100"'
    )
    profile = t.text("profile", "must name a [profile.*] of printers.toml")
    baudrate = t.choice("baudrate", BAUDRATES)
    write_timeout = t.seconds("write_timeout", 0.5, 120)
    status_interval = t.seconds("status_interval", 0.5, 60)
    t.finish()
    return PrinterConfig(url, profile, baudrate, write_timeout, status_interval)


def _lobby(t: _Table) -> LobbyConfig:
    idle = t.integer("idle_timeout", 5, 600, "seconds")
    ticket = t.integer("ticket_screen_seconds", 5, 600, "seconds")
    failed = t.integer("print_failed_screen_seconds", 5, 600, "seconds")
    t.finish()
    return LobbyConfig(idle, ticket, failed)


def _technician(t: _Table) -> TechnicianConfig:
    allowed = 'must be "scrypt$N$r$p$salt$hash" as printed by `kiosk hash-pin`'
    pin_hash = t.take("pin_hash", allowed)
    if not isinstance(pin_hash, str) or _parse_pin_hash(pin_hash) is None:
        t.fail("pin_hash", allowed, show_value=False)
    t.finish()
    return TechnicianConfig(pin_hash)


CENTRAL_URL_ALLOWED = (
    'must be "" (not configured) or the https:// address of the central server, e.g.'
    ' "https://kiosk.hanoi.gov.vn"; http:// only for a server on this machine'
    ' (e.g. "http://127.0.0.1:8000")'
)


def central_url_problem(url: str) -> str | None:
    """Why `url` cannot be the central server's address, or None when it can.

    Plain http is refused except to this machine: events carry personal data, which travels
    only over TLS.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.query or parts.fragment or not parts.hostname:
        return CENTRAL_URL_ALLOWED
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return CENTRAL_URL_ALLOWED


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _scanner(t: _Table) -> ScannerConfig:
    mode = t.choice("mode", ("none", "serial", "keyboard"))
    url = t.text("url")
    baudrate = t.choice("baudrate", BAUDRATES)
    suffix = t.choice("suffix", ("auto", "CR", "LF", "CRLF"))
    debounce = t.seconds("debounce_seconds", 0, 10)
    t.finish()
    return ScannerConfig(mode, url, baudrate, suffix, debounce)


def _central(t: _Table) -> CentralConfig:
    url = t.take("url", CENTRAL_URL_ALLOWED)
    if not isinstance(url, str) or (url and central_url_problem(url)):
        t.fail("url", CENTRAL_URL_ALLOWED)
    bundle_allowed = (
        'must be "" (the system certificate authorities) or the absolute path of a PEM file'
        " holding the certificate of the city's own authority"
    )
    bundle = t.take("ca_bundle", bundle_allowed)
    if not isinstance(bundle, str) or (bundle and not Path(bundle).is_absolute()):
        t.fail("ca_bundle", bundle_allowed)
    if bundle and not Path(bundle).is_file():
        t.fail("ca_bundle", "no such file; it " + bundle_allowed)
    timeout = t.seconds("timeout", 1, 120)
    batch_size = t.integer("batch_size", 1, 500, note=" (events per request)")
    max_backoff = t.seconds("max_backoff", 5, 3600)
    clock_margin = t.seconds("clock_margin", 5, 3600)
    t.finish()
    return CentralConfig(
        url.rstrip("/"),
        Path(bundle) if bundle else None,
        timeout,
        batch_size,
        max_backoff,
        clock_margin,
    )


def _catalogue(doc: _Document) -> Catalogue:
    root = doc.root()
    priority = root.table("priority")
    priority_enabled = priority.boolean("enabled")
    priority.finish()
    fields: list[FieldConfig] = []
    seen: dict[str, str] = {}
    for t in root.tables("fields"):
        parsed = _field(t)
        if parsed.id in seen:
            t.fail("id", f"must be unique; {seen[parsed.id]} has the same id")
        seen[parsed.id] = t.title
        fields.append(parsed)
    root.finish()
    _check_overlaps(doc, fields)
    return Catalogue(priority_enabled, tuple(fields))


def _field(t: _Table) -> FieldConfig:
    field_id = t.text(
        "id", "must be lowercase letters a-z, digits and '-', e.g. \"ho-tich\"", _FIELD_ID
    )
    name_vi = t.text("name_vi")
    name_en = t.text("name_en")
    colour = t.text("colour", 'must be a colour written "#RRGGBB", e.g. "#1565C0"', _COLOUR)
    prefix = t.text("prefix", 'must be up to 3 capital letters A-Z, or "" for none', _PREFIX)
    digits = t.integer("digits", 1, 6)
    top = 10**digits - 1
    first = t.integer("first", 0, top, note=f" (to fit in digits = {digits})")
    last = t.integer("last", first, top, note=f" (not below first, to fit in digits = {digits})")
    t.finish()
    return FieldConfig(field_id, name_vi, name_en, colour.upper(), prefix, first, last, digits)


def _check_overlaps(doc: _Document, fields: list[FieldConfig]) -> None:
    by_start = sorted(fields, key=lambda f: (f.prefix, f.first))
    for a, b in itertools.pairwise(by_start):
        if a.prefix == b.prefix and b.first <= a.last:
            raise ConfigError(
                f"{doc.origin(('fields',))}: [[fields]] {_toml_repr(a.id)} ({a.first}..{a.last})"
                f" and {_toml_repr(b.id)} ({b.first}..{b.last}) — number ranges of fields with"
                f" the same prefix ({_toml_repr(a.prefix)}) must not overlap"
            )


def _profiles(doc: _Document) -> dict[str, PrinterProfile]:
    root = doc.root()
    table = root.table("profile")
    root.finish()
    profiles = {}
    for name, mapping in table.data.items():
        where = doc.origin_of_any([("profile", name)])
        if not isinstance(mapping, dict):
            raise ConfigError(f"{where}: [profile.{name}] must be a table")
        try:
            profiles[name] = PrinterProfile.from_mapping(
                name, mapping, paths.FONT_REGULAR, paths.FONT_BOLD
            )
        except ValueError as e:
            raise ConfigError(f"{where}: [profile.{name}] {e}") from None
    if not profiles:
        raise ConfigError(f"{doc.origin(('profile',))}: [profile] — at least one profile needed")
    return profiles


def _counter(t: _Table, catalogue: Catalogue) -> CounterConfig:
    number = t.integer("number", 1, 999, note=" (the counter number given at provisioning)")
    known = [f.id for f in catalogue.fields]
    fields_allowed = (
        "must be a list of field ids of catalogue.toml ([] = every field), each once: "
        + ", ".join(_toml_repr(f) for f in known)
    )
    fields = t.text_list("fields", fields_allowed, pattern=_FIELD_ID)
    if len(set(fields)) != len(fields) or any(f not in known for f in fields):
        t.fail("fields", fields_allowed)
    idle = t.integer("officer_idle_signout", 1, 720, "minutes")
    lock = t.integer("signin_lock_minutes", 1, 1440, "minutes")
    rating_seconds = t.integer("rating_seconds", 5, 600, "seconds")
    instant = t.integer("instant_press_ms", 0, 5000, "milliseconds")
    short = t.integer("min_session_seconds", 0, 3600, "seconds")
    burst_count = t.integer("top_burst_count", 2, 1000, note=" (top ratings)")
    burst_minutes = t.integer("top_burst_minutes", 1, 1440, "minutes")
    keypad_url = t.take("keypad_url", KEYPAD_ALLOWED)
    if not isinstance(keypad_url, str):
        t.fail("keypad_url", KEYPAD_ALLOWED)
    t.finish()
    return CounterConfig(
        number,
        fields or tuple(known),
        idle,
        lock,
        rating_seconds,
        instant,
        short,
        burst_count,
        burst_minutes,
        keypad_url,
    )


def _rating(doc: _Document) -> RatingConfig:
    root = doc.root()
    citizen = root.table("citizen")
    scale = citizen.choice("scale", (3, 5))
    question_vi = citizen.text("question_vi")
    question_en = citizen.text("question_en")
    citizen.finish()
    scales = {levels: _scale(root.table(f"scale_{levels}"), levels) for levels in (3, 5)}
    reasons = _choices(root.tables("reasons"))
    outcomes = _outcomes(root.tables("outcomes"))
    officer_table = root.table("officer_rating")
    officer_levels = officer_table.integer("scale", 3, 5, "levels")
    officer_scale = _scale(officer_table, officer_levels, negative=False)
    criteria = _choices(root.tables("officer_criteria"))
    root.finish()
    no_shows = [o for o in outcomes if o.no_show]
    if len(no_shows) != 1:
        found = ", ".join(_toml_repr(o.id) for o in no_shows) or "none"
        raise ConfigError(
            f"{doc.origin(('outcomes',))}: [[outcomes]] no_show — exactly one outcome must be"
            f" the no-show (no_show = true); found {found}"
        )
    return RatingConfig(
        citizen_scale=scales[scale],
        question_vi=question_vi,
        question_en=question_en,
        reasons=reasons,
        outcomes=outcomes,
        officer_scale=officer_scale,
        officer_criteria=criteria,
    )


def _scale(t: _Table, levels: int, *, negative: bool = True) -> Scale:
    allowed = f"must be a list of {levels} non-empty texts, level 1 (the best) first"
    labels_vi = t.text_list("labels_vi", allowed, count=levels)
    labels_en = t.text_list("labels_en", allowed, count=levels)
    negatives: tuple[int, ...] = ()
    if negative:
        # Levels 1 and 2 are "satisfied" in every report: they can never be negative.
        negatives = t.integer_list("negative", 3, levels)
    t.finish()
    return Scale(levels, labels_vi, labels_en, frozenset(negatives))


def _choices(tables: list[_Table]) -> tuple[Choice, ...]:
    seen: dict[str, str] = {}
    out = []
    for t in tables:
        out.append(Choice(*_choice_texts(t, seen)))
        t.finish()
    return tuple(out)


def _outcomes(tables: list[_Table]) -> tuple[Outcome, ...]:
    seen: dict[str, str] = {}
    out = []
    for t in tables:
        out.append(Outcome(*_choice_texts(t, seen), t.optional_boolean("no_show", False)))
        t.finish()
    return tuple(out)


def _choice_texts(t: _Table, seen: dict[str, str]) -> tuple[str, str, str]:
    """The id (unique in its list: `seen` maps ids to the title that used them), vi and en."""
    choice_id = t.text(
        "id", "must be 1 to 64 characters: lowercase letters a-z, digits and '-'", _CHOICE_ID
    )
    if choice_id in seen:
        t.fail("id", f"must be unique; {seen[choice_id]} has the same id")
    seen[choice_id] = t.title
    return choice_id, t.text("vi"), t.text("en")


def _officers(doc: _Document) -> tuple[OfficerConfig, ...]:
    root = doc.root()
    out: list[OfficerConfig] = []
    seen: dict[str, str] = {}
    for t in root.tables("officers"):
        officer_id = t.text(
            "id", "must be 1 to 32 characters: lowercase letters a-z, digits and '-'", _DEVICE_ID
        )
        if officer_id in seen:
            t.fail("id", f"must be unique; {seen[officer_id]} has the same id")
        seen[officer_id] = t.title
        name = t.text("name")
        title = t.text("title")
        allowed = 'must be "scrypt$N$r$p$salt$hash" as printed by `kiosk hash-pin`'
        pin_hash = t.take("pin_hash", allowed)
        if not isinstance(pin_hash, str) or _parse_pin_hash(pin_hash) is None:
            t.fail("pin_hash", allowed, show_value=False)
        badge = t.optional_boolean("badge", True)
        t.finish()
        out.append(OfficerConfig(officer_id, name, title, pin_hash, badge))
    root.finish()
    return tuple(out)


def _parse_pin_hash(text: str) -> tuple[int, int, int, bytes, bytes] | None:
    match = _PIN_HASH.fullmatch(text)
    if match is None:
        return None
    n, r, p = int(match[1]), int(match[2]), int(match[3])
    salt_hex, hash_hex = match[4], match[5]
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16:
        return None
    if 128 * n * r > _SCRYPT_MAXMEM // 2 or len(salt_hex) % 2 or len(hash_hex) % 2:
        return None
    salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    if len(salt) < 8 or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def hash_pin(pin: str) -> str:
    """A technician PIN hash for [technician] pin_hash."""
    if not pin:
        raise ValueError("the PIN must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, pin_hash: str) -> bool:
    """Whether `pin` matches `pin_hash`, compared in constant time."""
    parsed = _parse_pin_hash(pin_hash)
    if parsed is None:
        raise ValueError("malformed PIN hash")
    n, r, p, salt, expected = parsed
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)
