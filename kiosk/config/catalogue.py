"""catalogue.toml: the fields (lĩnh vực) a citizen picks and the ranges their numbers come from.

Field ids are unique, and fields with the same prefix must not share a number.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from kiosk.config.reader import ConfigError, Document, Table, toml_repr

FIELD_ID = re.compile(r"[a-z0-9-]+")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_PREFIX = re.compile(r"[A-Z]{0,3}")


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


def parse_catalogue(doc: Document) -> Catalogue:
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


def _field(t: Table) -> FieldConfig:
    field_id = t.text(
        "id", "must be lowercase letters a-z, digits and '-', e.g. \"ho-tich\"", FIELD_ID
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


def _check_overlaps(doc: Document, fields: list[FieldConfig]) -> None:
    by_start = sorted(fields, key=lambda f: (f.prefix, f.first))
    for a, b in itertools.pairwise(by_start):
        if a.prefix == b.prefix and b.first <= a.last:
            raise ConfigError(
                f"{doc.origin(('fields',))}: [[fields]] {toml_repr(a.id)} ({a.first}..{a.last})"
                f" and {toml_repr(b.id)} ({b.first}..{b.last}) — number ranges of fields with"
                f" the same prefix ({toml_repr(a.prefix)}) must not overlap"
            )
