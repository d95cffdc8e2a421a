"""kiosk.toml's office and device sections, and printers.toml: each a dataclass and its parser.

[office], [device], [panel], [printer] (with its profile from printers.toml), [scanner],
[lobby] and [technician]. [central] is in kiosk.config.central, [counter] in
kiosk.config.counter.

[panel] was called [display] (a word now kept for the hall-display role): an override that
still says [display] is read as [panel] (RENAMED_TABLES).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.office_clock import OfficeDayRule
from devices.profiles import PrinterProfile
from devices.scanner_envelope import ENVELOPES, EnvelopeSettings
from kiosk import paths
from kiosk.config.pins import read_pin_hash
from kiosk.config.reader import ConfigError, Document, Table, toml_repr
from kiosk.roles import ROLES

LANGUAGES = ("vi", "en")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
RENAMED_TABLES = {"display": "panel"}  # old name in a site's kiosk.toml: new name
ROTATIONS = (0, 90, 180, 270)
TOUCH_DEVICE = re.compile(r"|/dev/input/\S+")

# Device ids, and officer ids (kiosk.config.officers), are written the same way.
ID_PATTERN = re.compile(r"[a-z0-9-]{1,32}")
ID_ALLOWED = "must be 1 to 32 characters: lowercase letters a-z, digits and '-'"

OFFICE_CODE = re.compile(r"[0-9]{5}")  # the ward code (the setup screen checks it too)
# A scanner's custom prefix/suffix or Code ID: short, and never a line end (that is `suffix`).
SCANNER_AFFIX = re.compile(r"[^\r\n]{0,20}")
SCANNER_AFFIX_ALLOWED = "must be at most 20 characters, without CR or LF"


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
class TouchConfig:
    """A touch controller read straight from its event device (Kivy's hidinput provider), for
    one whose axes do not match the panel's; `device` "" means the touches SDL reports, which
    follow the panel's rotation."""

    device: str = ""
    rotation: int = 0  # degrees the touch axes are turned from the picture's
    invert_x: bool = False
    invert_y: bool = False


@dataclass(frozen=True)
class PanelConfig:
    """The touch panel the screens are drawn on. `left`, `top`: where a window (not
    fullscreen) opens on the desktop, in pixels from its top-left corner; None: where the window
    system puts it (centred). The demo places its two windows side by side with them."""

    width: int
    height: int
    fullscreen: bool
    configured_dpi: int  # 0: the usual panel of this size (panel_dpi)
    left: int | None = None
    top: int | None = None
    # Degrees the picture is turned clockwise (a panel mounted upside down or in portrait);
    # width and height are the picture as seen. Touches turn with it.
    rotation: int = 0
    touch: TouchConfig = field(default_factory=TouchConfig)

    @property
    def window_size(self) -> tuple[int, int]:
        """The window's size before rotation: the panel's own pixels."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    @property
    def dpi(self) -> int:
        """The panel's pixel density: millimetres on screen (touch targets ≥ 15 mm) use it."""
        return self.configured_dpi or panel_dpi(self.width, self.height)


@dataclass(frozen=True)
class PrinterConfig:
    url: str
    profile: str
    baudrate: int
    write_timeout: float
    status_interval: float
    # Seconds: a ticket issued at most this long before the lobby starts and never sent to the
    # printer is printed at start (kiosk.printing, the start-up rule); 0: none is.
    print_at_start_within: int = 60


@dataclass(frozen=True)
class StoreConfig:
    """[store]: delivered records of the last `keep_days` office days stay on the device
    (kiosk.store.pruning); older ones are deleted, the central server being the archive."""

    keep_days: int = 30


@dataclass(frozen=True)
class ScannerConfig:
    """The 2D QR imager that reads citizen ID cards. mode "none": the lobby does not offer it."""

    mode: str  # "none" | "serial" | "keyboard"
    url: str
    baudrate: int
    suffix: str  # "auto" | "CR" | "LF" | "CRLF"
    debounce_seconds: float
    # Where the scanner is on this kiosk, as the scan screen tells the citizen.
    location_vi: str = "khe quét bên dưới màn hình"
    location_en: str = "the scanner slot below the screen"
    # What the imager wraps around a code (devices.scanner_envelope; docs/scanners.md).
    envelope: str = "auto"  # "auto" | "none"
    prefix: str = ""  # a custom prefix and/or Code ID the imager is set to send first
    trailer: str = ""  # a custom suffix it sends after the code, before the line end

    def location(self, language: str) -> str:
        return self.location_vi if language == "vi" else self.location_en

    @property
    def envelope_settings(self) -> EnvelopeSettings:
        return EnvelopeSettings(
            self.envelope, self.prefix.encode("utf-8"), self.trailer.encode("utf-8")
        )


@dataclass(frozen=True)
class LobbyConfig:
    idle_timeout: int
    ticket_screen_seconds: int
    print_failed_screen_seconds: int
    # Seconds the ID card's data stays on the confirmation screen without a touch.
    identity_timeout: int = 10
    # Seconds before an idle screen resets that it asks whether the citizen is still there.
    idle_warning: int = 8
    # Seconds between looks at the server's queue (kiosk.queue_snapshot): "people waiting ahead".
    queue_interval: int = 10


@dataclass(frozen=True)
class TechnicianConfig:
    pin_hash: str = field(repr=False)


def parse_office(t: Table) -> OfficeConfig:
    code = t.text("code", 'must be the 5-digit ward code, e.g. "00637"', OFFICE_CODE)
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


def parse_device(t: Table) -> DeviceConfig:
    device_id = t.text("id", ID_ALLOWED, ID_PATTERN)
    role = t.choice("role", tuple(ROLES))
    data_dir = Path(t.text("data_dir", 'must be an absolute path, e.g. "/var/lib/kiosk"'))
    if not data_dir.is_absolute():
        t.fail("data_dir", 'must be an absolute path, e.g. "/var/lib/kiosk"')
    language = t.choice("language", LANGUAGES)
    t.finish()
    return DeviceConfig(device_id, role, data_dir, language)


def panel_dpi(width: int, height: int) -> int:
    """The pixel density of the usual touch panel of this size: 7" up to 1024 pixels wide,
    10.1" up to 1280, 21.5" beyond (what kiosks and counters are sold with)."""
    long_side = max(width, height)
    diagonal = 7.0 if long_side <= 1024 else 10.1 if long_side <= 1280 else 21.5
    return round(math.hypot(width, height) / diagonal)


def parse_panel(t: Table) -> PanelConfig:
    width = t.integer("width", 320, 7680, "pixels")
    height = t.integer("height", 240, 4320, "pixels")
    fullscreen = t.boolean("fullscreen")
    allowed = (
        "must be a whole number from 60 to 400 (dots per inch of the panel),"
        " or 0 for the usual panel of this size"
    )
    dpi = t.take("dpi", allowed)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not (dpi == 0 or 60 <= dpi <= 400):
        t.fail("dpi", allowed)
    left = t.optional_integer("left", 0, 16000, "pixels")
    top = t.optional_integer("top", 0, 16000, "pixels")
    rotation = t.choice("rotation", ROTATIONS)
    touch = TouchConfig(
        device=t.text(
            "touch_device",
            'must be "" (the touches SDL reports) or the path of the touch panel\'s event'
            ' device, e.g. "/dev/input/by-path/platform-...-event"',
            TOUCH_DEVICE,
        ),
        rotation=t.choice("touch_rotation", ROTATIONS),
        invert_x=t.boolean("touch_invert_x"),
        invert_y=t.boolean("touch_invert_y"),
    )
    t.finish()
    return PanelConfig(width, height, fullscreen, dpi, left, top, rotation, touch)


def parse_printer(t: Table) -> PrinterConfig:
    """[printer]; that `profile` names a profile of printers.toml is checked by the loader."""
    url = t.text(
        "url", 'must be a pyserial URL or device path, e.g. "/dev/ttyUSB0", "socket://host:9100"'
    )
    profile = t.text("profile", "must name a [profile.*] of printers.toml")
    baudrate = t.choice("baudrate", BAUDRATES)
    write_timeout = t.seconds("write_timeout", 0.5, 120)
    status_interval = t.seconds("status_interval", 0.5, 60)
    at_start = t.integer("print_at_start_within", 0, 3600, "seconds", note=" (0: none)")
    t.finish()
    return PrinterConfig(url, profile, baudrate, write_timeout, status_interval, at_start)


def parse_store(t: Table) -> StoreConfig:
    keep_days = t.integer("keep_days", 1, 3650, "office days")
    t.finish()
    return StoreConfig(keep_days)


def parse_scanner(t: Table) -> ScannerConfig:
    mode = t.choice("mode", ("none", "serial", "keyboard"))
    url = t.text("url")
    baudrate = t.choice("baudrate", BAUDRATES)
    suffix = t.choice("suffix", ("auto", "CR", "LF", "CRLF"))
    debounce = t.seconds("debounce_seconds", 0, 10)
    location_vi = t.text("location_vi")
    location_en = t.text("location_en")
    envelope = t.choice("envelope", ENVELOPES)
    prefix = t.text("prefix", SCANNER_AFFIX_ALLOWED, SCANNER_AFFIX)
    trailer = t.text("trailer", SCANNER_AFFIX_ALLOWED, SCANNER_AFFIX)
    t.finish()
    return ScannerConfig(
        mode, url, baudrate, suffix, debounce, location_vi, location_en, envelope, prefix, trailer
    )


def parse_lobby(t: Table) -> LobbyConfig:
    idle = t.integer("idle_timeout", 5, 600, "seconds")
    ticket = t.integer("ticket_screen_seconds", 5, 600, "seconds")
    failed = t.integer("print_failed_screen_seconds", 5, 600, "seconds")
    identity = t.integer("identity_timeout", 3, 60, "seconds")
    warning = t.integer("idle_warning", 0, 30, "seconds", note=" (0: no warning)")
    queue_interval = t.integer("queue_interval", 2, 300, "seconds")
    t.finish()
    return LobbyConfig(idle, ticket, failed, identity, warning, queue_interval)


def parse_technician(t: Table) -> TechnicianConfig:
    pin_hash = read_pin_hash(t)
    t.finish()
    return TechnicianConfig(pin_hash)


def read_printer_profile(printers: Document, printer: PrinterConfig, t: Table) -> PrinterProfile:
    """The profile of printers.toml that [printer] `t` names."""
    profiles = _profiles(printers)
    if printer.profile not in profiles:
        names = ", ".join(toml_repr(name) for name in profiles)
        t.fail("profile", f"must be one of the profiles in printers.toml: {names}")
    return profiles[printer.profile]


def _profiles(doc: Document) -> dict[str, PrinterProfile]:
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
