"""The secrets shipped with every device, and whether a configuration still uses them.

The shipped kiosk.toml holds the technician PIN 246810 and the shipped officers.toml two demo
officers with the PINs 1111 and 2222: anyone who has read the README can open the technician
menu or sign in at a counter while they are in place. `shipped_secrets_in_use` is the one test
of that, shared by `kiosk check-config`, the setup screen and `kiosk doctor`.
"""

from __future__ import annotations

from functools import cache

from kiosk import paths
from kiosk.config.loader import OFFICERS_FILE, Config
from kiosk.config.officers import parse_officers
from kiosk.config.pins import verify_pin
from kiosk.config.reader import Document

# The technician PIN the shipped kiosk.toml's pin_hash is made from (said in its comment).
SHIPPED_TECHNICIAN_PIN = "246810"


@cache
def _demo_officer_hashes() -> frozenset[str]:
    """The PIN hashes of the demo officers in the shipped officers.toml."""
    shipped = Document.load(paths.SHIPPED_CONFIG_DIR / OFFICERS_FILE, None)
    return frozenset(officer.pin_hash for officer in parse_officers(shipped))


def shipped_secrets_in_use(config: Config) -> list[str]:
    """What of the shipped secrets this device still uses, one plain sentence each with the fix;
    [] when none. The demo officers count on a counter terminal only (no other role signs
    officers in)."""
    found = []
    if verify_pin(SHIPPED_TECHNICIAN_PIN, config.technician.pin_hash):
        found.append(
            "The technician PIN is still the shipped one (246810): set [technician] pin_hash"
            " in the site's kiosk.toml to the output of `kiosk hash-pin`."
        )
    if config.device.role == "counter":
        demo = _demo_officer_hashes()
        still = [o.id for o in config.officers if o.pin_hash in demo]
        if still:
            found.append(
                f"The demo officers ({', '.join(still)}, PINs 1111 and 2222) may still sign in:"
                " list the office's own officers in the site's officers.toml."
            )
    return found
