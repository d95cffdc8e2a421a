"""Consent answers at the lobbies: kept from `consent.answered` and `consent.withdrawn`, read as
the consent log an inspector is shown and as the consent figures of the satisfaction report.

One row per answer (its `consent_id`), made by whichever of its two events arrives first and
completed by the other, so a withdrawal that arrives before its answer still ends withdrawn.
Neither event holds card data (central.envelope accepts no other keys): the rows are kept, as
the proof of each answer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from central.db import Database, DatabaseKind, dialect_insert
from central.envelope import CheckedEvent, ConsentAnswered, ConsentWithdrawn
from central.reports import percent
from central.schema import consents

ANSWER_FACTS = (
    "ticket_id",
    "label",
    "field_id",
    "answer",
    "answered_at",
    "language",
    "text_version",
    "answer_event_id",
)
WITHDRAWAL_FACTS = ("withdrawn_at", "withdrawal_event_id")


@functools.cache
def _upsert(kind: DatabaseKind, facts: tuple[str, ...], first: str) -> Any:
    """Fill in `facts` of the row the other event made, unless this event's kind already did
    (`first` is its event id column) or the row is another device's."""
    statement = dialect_insert(kind, consents)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["office", "consent_id"],
        set_={name: excluded[name] for name in facts},
        where=(consents.c[first].is_(None)) & (consents.c.device_id == excluded.device_id),
    )


def _row(event: CheckedEvent, facts: ConsentAnswered | ConsentWithdrawn) -> dict[str, Any]:
    return {
        "office": event.office,
        "consent_id": str(facts.consent_id),
        "day": facts.day,
        "device_id": event.device_id,
        "ticket_id": None if facts.ticket_id is None else str(facts.ticket_id),
        "label": facts.label,
    }


def consent_answered(db: Database, conn: Connection, event: CheckedEvent, _today: Any) -> list[str]:
    facts = event.facts
    assert isinstance(facts, ConsentAnswered)
    row = _row(event, facts) | {
        "field_id": facts.field_id,
        "answer": facts.answer,
        "answered_at": facts.answered_at,
        "language": facts.language,
        "text_version": facts.text_version,
        "answer_event_id": event.id,
    }
    conn.execute(_upsert(db.kind, ANSWER_FACTS, "answer_event_id"), row)
    return []


def consent_withdrawn(
    db: Database, conn: Connection, event: CheckedEvent, _today: Any
) -> list[str]:
    facts = event.facts
    assert isinstance(facts, ConsentWithdrawn)
    row = _row(event, facts) | {
        "withdrawn_at": facts.withdrawn_at,
        "withdrawal_event_id": event.id,
    }
    conn.execute(_upsert(db.kind, WITHDRAWAL_FACTS, "withdrawal_event_id"), row)
    return []


# ----------------------------------------------------------------- the consent log

LOG_COLUMNS = (
    "consent_id",
    "answered_at",
    "device_id",
    "language",
    "text_version",
    "answer",
    "withdrawn",
    "withdrawn_at",
    "ticket_id",
    "label",
    "field_id",
)


def consent_log(db: Database, *, office: str, day: date) -> list[dict[str, Any]]:
    """Every answer of an office day, in the order given (a withdrawal whose answer has not
    arrived yet last, with `answer` null)."""

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(consents)
            .where(consents.c.office == office, consents.c.day == day)
            .order_by(
                consents.c.answered_at.is_(None), consents.c.answered_at, consents.c.consent_id
            )
        ).all()

    return [
        {
            "consent_id": row.consent_id,
            "answered_at": row.answered_at,
            "device_id": row.device_id,
            "language": row.language,
            "text_version": row.text_version,
            "answer": row.answer,
            "withdrawn": row.withdrawn_at is not None,
            "withdrawn_at": row.withdrawn_at,
            "ticket_id": row.ticket_id,
            "label": row.label,
            "field_id": row.field_id,
        }
        for row in db.read(read)
    ]


# ----------------------------------------------------------------- the report's figures


@dataclass(frozen=True)
class ConsentTally:
    """Visits asked = tickets issued after a consent answer; `consented` = yes, not withdrawn.
    `without_ticket`: answers whose visit ended without a ticket (not visits)."""

    visits: int
    yes: int
    no: int
    withdrawn: int
    consented: int
    consent_rate: float | None
    without_ticket: int


@dataclass(frozen=True)
class ConsentRow(ConsentTally):
    key: str


@dataclass(frozen=True)
class ConsentFigures:
    rows: list[ConsentRow]
    total: ConsentTally


GROUP_COLUMNS = {"day": consents.c.day, "field": consents.c.field_id}


def consent_figures(
    db: Database, *, office: str, first: date, last: date, by: str
) -> ConsentFigures:
    """The consent figures of the office days `first`..`last`; rows by day or field (consent is
    asked at the lobby, before any counter or officer: by those, the total only). Percent as the
    report's (one decimal, halves up)."""
    key = GROUP_COLUMNS.get(by)
    withdrawn = consents.c.withdrawn_at.is_not(None)
    columns = [
        (key if key is not None else consents.c.office).label("key"),
        consents.c.answer,
        (consents.c.ticket_id.is_not(None)).label("ticketed"),
        withdrawn.label("withdrawn"),
        func.count().label("n"),
    ]

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(*columns)
            .where(
                consents.c.office == office,
                consents.c.day >= first,
                consents.c.day <= last,
                consents.c.answer.is_not(None),
            )
            .group_by(*columns[:4])
        ).all()

    per_key: dict[Any, list[Any]] = {}
    for row in db.read(read):
        per_key.setdefault(row.key, []).append(row)
    everything = [row for rows in per_key.values() for row in rows]
    rows = (
        []
        if key is None
        else [
            ConsentRow(key=_key_text(raw), **vars(_tally(found)))
            for raw, found in sorted(per_key.items())
        ]
    )
    return ConsentFigures(rows, _tally(everything))


def consent_totals(
    db: Database, *, offices: list[str], first: date, last: date
) -> dict[str, ConsentTally]:
    """Each office's consent total over the period (that of consent_figures), read in one
    statement for all of them."""
    columns = [
        consents.c.office,
        consents.c.answer,
        (consents.c.ticket_id.is_not(None)).label("ticketed"),
        (consents.c.withdrawn_at.is_not(None)).label("withdrawn"),
    ]

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(*columns, func.count().label("n"))
            .where(
                consents.c.office.in_(offices),
                consents.c.day >= first,
                consents.c.day <= last,
                consents.c.answer.is_not(None),
            )
            .group_by(*columns)
        ).all()

    per_office: dict[str, list[Any]] = {office: [] for office in offices}
    for row in db.read(read):
        per_office[row.office].append(row)
    return {office: _tally(rows) for office, rows in per_office.items()}


def _tally(rows: list[Any]) -> ConsentTally:
    def count(*, answer: str | None = None, withdrawn: bool | None = None) -> int:
        return sum(
            row.n
            for row in rows
            if row.ticketed
            and (answer is None or row.answer == answer)
            and (withdrawn is None or bool(row.withdrawn) == withdrawn)
        )

    visits = count()
    consented = count(answer="yes", withdrawn=False)
    return ConsentTally(
        visits=visits,
        yes=count(answer="yes"),
        no=count(answer="no"),
        withdrawn=count(answer="yes", withdrawn=True),
        consented=consented,
        consent_rate=percent(consented, visits) if visits else None,
        without_ticket=sum(row.n for row in rows if not row.ticketed),
    )


def _key_text(key: Any) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)
