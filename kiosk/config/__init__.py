"""Configuration: the shipped defaults in `config/`, overridden per site, validated at start-up.

Five files, each merged key by key over its shipped default: kiosk.toml (office, device,
panel, printer, scanner, lobby, technician, central, health, counter, speech), catalogue.toml
(the fields a citizen picks, with their number ranges), printers.toml (printer model
profiles), and for the counter terminal rating.toml (the dual rating's questions, scales,
reasons and outcomes) and officers.toml (who may sign in at a counter). Everything is checked
here, once: a bad value stops start-up with a message naming the file, the key and what is
allowed, and an unknown key is an error too, so a typo is never silently ignored.

reader: TOML, overrides and the typed accessors; device, central, health, catalogue, counter,
speech and officers: each file or section's dataclasses and parser; pins: PIN hashes; loader:
`Config`.
"""

from kiosk.config.catalogue import Catalogue, FieldConfig
from kiosk.config.central import central_url_problem
from kiosk.config.counter import Choice, CounterConfig, Outcome, RatingConfig, Scale
from kiosk.config.device import OfficeConfig
from kiosk.config.loader import Config, load_config
from kiosk.config.officers import OfficerConfig
from kiosk.config.pins import DECOY_PIN_HASH, hash_pin, verify_pin
from kiosk.config.reader import ConfigError

__all__ = [
    "DECOY_PIN_HASH",
    "Catalogue",
    "Choice",
    "Config",
    "ConfigError",
    "CounterConfig",
    "FieldConfig",
    "OfficeConfig",
    "OfficerConfig",
    "Outcome",
    "RatingConfig",
    "Scale",
    "central_url_problem",
    "hash_pin",
    "load_config",
    "verify_pin",
]
