"""`load_config`: the five files read, each over its shipped default, into one `Config`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from devices.profiles import PrinterProfile
from kiosk import paths
from kiosk.config.catalogue import Catalogue, parse_catalogue
from kiosk.config.central import CentralConfig, parse_central
from kiosk.config.counter import CounterConfig, RatingConfig, parse_counter, parse_rating
from kiosk.config.device import (
    RENAMED_TABLES,
    DeviceConfig,
    LobbyConfig,
    OfficeConfig,
    PanelConfig,
    PrinterConfig,
    ScannerConfig,
    StoreConfig,
    TechnicianConfig,
    parse_device,
    parse_lobby,
    parse_office,
    parse_panel,
    parse_printer,
    parse_scanner,
    parse_store,
    parse_technician,
    read_printer_profile,
)
from kiosk.config.hall import HallConfig, parse_hall
from kiosk.config.health import HealthConfig, parse_health
from kiosk.config.office_network import OfficeNetworkConfig, parse_office_network
from kiosk.config.officers import OfficerConfig, parse_officers
from kiosk.config.reader import ConfigError, Document
from kiosk.config.speech import SpeechConfig, parse_speech

KIOSK_FILE = "kiosk.toml"
CATALOGUE_FILE = "catalogue.toml"
PRINTERS_FILE = "printers.toml"
RATING_FILE = "rating.toml"
OFFICERS_FILE = "officers.toml"
# A hall display is a TV: its panel when kiosk.toml names no size of its own.
DISPLAY_SIZE = (1920, 1080)
CONFIG_FILES = (KIOSK_FILE, CATALOGUE_FILE, PRINTERS_FILE, RATING_FILE, OFFICERS_FILE)


@dataclass(frozen=True)
class Config:
    office: OfficeConfig
    device: DeviceConfig
    panel: PanelConfig
    printer: PrinterConfig
    lobby: LobbyConfig
    technician: TechnicianConfig
    central: CentralConfig
    scanner: ScannerConfig
    catalogue: Catalogue
    printer_profile: PrinterProfile
    counter: CounterConfig
    rating: RatingConfig
    officers: tuple[OfficerConfig, ...]
    hall: HallConfig
    office_network: OfficeNetworkConfig
    speech: SpeechConfig
    health: HealthConfig
    store: StoreConfig
    # Every file read, each shipped file followed by its override: kiosk.toml,
    # catalogue.toml, printers.toml, rating.toml, officers.toml.
    sources: tuple[Path, ...]
    notices: tuple[str, ...] = ()  # settings still read under an old name (check-config)

    @property
    def counter_sources(self) -> tuple[Path, ...]:
        """rating.toml, officers.toml and their overrides, as read."""
        return tuple(p for p in self.sources if p.name in (RATING_FILE, OFFICERS_FILE))

    def officer(self, officer_id: str) -> OfficerConfig | None:
        return next((o for o in self.officers if o.id == officer_id), None)


def load_config(override: Path | None = None) -> Config:
    """Load the shipped configuration merged with a site override.

    `override` is a directory holding any of kiosk.toml, catalogue.toml, printers.toml,
    rating.toml, officers.toml, or a single file used as the kiosk.toml override. None means
    /etc/kiosk/ when it exists.
    """
    overrides = _override_files(override)

    def load(name: str, renamed: dict[str, str] | None = None) -> Document:
        return Document.load(paths.SHIPPED_CONFIG_DIR / name, overrides.get(name), renamed)

    kiosk = load(KIOSK_FILE, RENAMED_TABLES)
    catalogue, printers = load(CATALOGUE_FILE), load(PRINTERS_FILE)
    root = kiosk.root()
    office = parse_office(root.table("office"))
    device = parse_device(root.table("device"))
    panel = parse_panel(root.table("panel"))
    if (
        device.role == "display"
        and kiosk.origin_of_any([("panel", "width"), ("panel", "height")]) == kiosk.shipped
    ):
        panel = replace(panel, width=DISPLAY_SIZE[0], height=DISPLAY_SIZE[1])
    printer_table = root.table("printer")
    printer = parse_printer(printer_table)
    lobby = parse_lobby(root.table("lobby"))
    technician = parse_technician(root.table("technician"))
    central = parse_central(root.table("central"))
    scanner = parse_scanner(root.table("scanner"))
    counter_table = root.table("counter")
    hall_table = root.table("hall")
    office_network = parse_office_network(root.table("office_network"))
    speech = parse_speech(root.table("speech"), device.data_dir)
    health = parse_health(root.table("health"))
    store = parse_store(root.table("store"))
    root.finish()

    printer_profile = read_printer_profile(printers, printer, printer_table)
    parsed_catalogue = parse_catalogue(catalogue)
    rating, officers = load(RATING_FILE), load(OFFICERS_FILE)
    return Config(
        office=office,
        device=device,
        panel=panel,
        printer=printer,
        lobby=lobby,
        technician=technician,
        central=central,
        scanner=scanner,
        catalogue=parsed_catalogue,
        printer_profile=printer_profile,
        counter=parse_counter(counter_table, parsed_catalogue),
        rating=parse_rating(rating),
        officers=parse_officers(officers),
        hall=parse_hall(hall_table, parsed_catalogue),
        office_network=office_network,
        speech=speech,
        health=health,
        store=store,
        sources=kiosk.sources
        + catalogue.sources
        + printers.sources
        + rating.sources
        + officers.sources,
        notices=kiosk.notices,
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
