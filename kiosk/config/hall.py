"""kiosk.toml [hall]: what the hall display (role "display") shows and for how long.

The speech is [speech] (kiosk.config.speech); the office network the counters' calls also
arrive by is [office_network] (kiosk.config.office_network).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config.catalogue import Catalogue
from kiosk.config.reader import Table, toml_repr


@dataclass(frozen=True)
class HallConfig:
    recent_calls: int  # the last calls listed beside the newest
    # Each call is shown large for at least hero_seconds, in turn when several counters call
    # at once, and stays highlighted in the list until highlight_seconds after its turn began.
    hero_seconds: float
    highlight_seconds: float
    # A call that reaches the display later than this after it was made (an outbox that
    # drains after an outage) is listed but neither highlighted nor announced.
    stale_after_seconds: float
    queue_interval: float  # seconds between refreshes of the waiting counts
    fields: tuple[str, ...]  # fields whose waiting count is shown; never empty here
    notice_vi: str
    notice_en: str

    def notice(self, language: str) -> str:
        return self.notice_en if language == "en" else self.notice_vi


def parse_hall(t: Table, catalogue: Catalogue) -> HallConfig:
    recent = t.integer("recent_calls", 1, 20)
    hero = t.seconds("hero_seconds", 1, 60)
    highlight = t.seconds("highlight_seconds", 1, 600)
    if highlight < hero:
        t.fail(
            "highlight_seconds",
            f"must not be shorter than hero_seconds ({hero:g})",
            related=("hero_seconds",),
        )
    stale = t.seconds("stale_after_seconds", 10, 3600)
    interval = t.seconds("queue_interval", 2, 300)
    known = tuple(field.id for field in catalogue.fields)
    allowed = "must be a list of field ids of catalogue.toml ([] = every field): " + ", ".join(
        toml_repr(field_id) for field_id in known
    )
    fields = t.take("fields", allowed)
    if not isinstance(fields, list) or any(item not in known for item in fields):
        t.fail("fields", allowed)
    notice_vi = t.take("notice_vi", 'must be text ("" = no notice line)')
    notice_en = t.take("notice_en", 'must be text ("" = no notice line)')
    for key, value in (("notice_vi", notice_vi), ("notice_en", notice_en)):
        if not isinstance(value, str) or len(value) > 200:
            t.fail(key, 'must be text of at most 200 characters ("" = no notice line)')
    t.finish()
    return HallConfig(
        recent,
        hero,
        highlight,
        stale,
        interval,
        tuple(fields) or known,
        notice_vi.strip(),
        notice_en.strip(),
    )
