"""A call as the hall sees it: number, counter, call or recall, and the key that makes one call
the same call by every path it reaches the hall display by.

A call reaches the display from the central server (the calls feed, GET .../calls) and, also
while the server is unreachable, from the counter itself over the office network
(kiosk.hall_network). Both name it by the same `key`, so the display shows and announces it
once: `call:<session id>` for the call that opened a session (call-next, a typed or scanned
number), `recall:<event id>` for each "Gọi lại" (the id of its `ticket.recalled` event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from common.call_keys import call_key, recall_key

CallKind = Literal["call", "recall"]
KINDS: tuple[CallKind, ...] = ("call", "recall")
__all__ = ["KINDS", "CallKind", "HallCall", "call_key", "recall_key"]


@dataclass(frozen=True)
class HallCall:
    key: str
    kind: CallKind
    office: str
    day: date
    label: str
    counter: int
    field_id: str | None
    occurred_at: datetime  # aware

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "office": self.office,
            "day": self.day.isoformat(),
            "label": self.label,
            "counter": self.counter,
            "field_id": self.field_id,
            "occurred_at": self.occurred_at.isoformat(),
        }

    @classmethod
    def from_json(cls, item: Any, *, office: str | None = None) -> HallCall:
        """A call from its JSON form (a feed item carries no office: give it). Raises
        ValueError for anything that is not a well-formed call."""
        if not isinstance(item, dict):
            raise ValueError("a call is a JSON object")
        try:
            kind = item["kind"]
            if kind not in KINDS:
                raise ValueError(f"unknown call kind {kind!r}")
            key, label = item["key"], item["label"]
            counter, field_id = item["counter"], item.get("field_id")
            the_office = item.get("office", office) if office is None else office
            if not all(isinstance(value, str) and value for value in (key, label, the_office)):
                raise ValueError("key, label and office must be non-empty strings")
            if not isinstance(counter, int) or isinstance(counter, bool) or not 1 <= counter <= 999:
                raise ValueError("counter must be a number from 1 to 999")
            if field_id is not None and not isinstance(field_id, str):
                raise ValueError("field_id must be a string or null")
            occurred_at = datetime.fromisoformat(item["occurred_at"])
            if occurred_at.tzinfo is None:
                raise ValueError("occurred_at must carry its offset")
            day = date.fromisoformat(item["day"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a call: {error}") from None
        return cls(key, kind, the_office, day, label, counter, field_id, occurred_at)
