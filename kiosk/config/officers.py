"""officers.toml: who may sign in at a counter, with a PIN (its scrypt hash) or a badge."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.config.device import ID_ALLOWED, ID_PATTERN
from kiosk.config.pins import read_pin_hash
from kiosk.config.reader import Document


@dataclass(frozen=True)
class OfficerConfig:
    id: str
    name: str
    title: str
    pin_hash: str = field(repr=False)
    badge: bool  # false: this officer's badge QR is refused


def parse_officers(doc: Document) -> tuple[OfficerConfig, ...]:
    root = doc.root()
    out: list[OfficerConfig] = []
    seen: dict[str, str] = {}
    for t in root.tables("officers"):
        officer_id = t.text("id", ID_ALLOWED, ID_PATTERN)
        if officer_id in seen:
            t.fail("id", f"must be unique; {seen[officer_id]} has the same id")
        seen[officer_id] = t.title
        name = t.text("name")
        title = t.text("title")
        pin_hash = read_pin_hash(t)
        badge = t.optional_boolean("badge", True)
        t.finish()
        out.append(OfficerConfig(officer_id, name, title, pin_hash, badge))
    root.finish()
    return tuple(out)
