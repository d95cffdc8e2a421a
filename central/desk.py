"""The officer's desk page and the provincial software's pull: the card data of the citizen whose
ticket a counter has called now, for that counter only, while the session is open and the office
day lasts (docs/central-api.md "The officer's desk").

A browser is paired with one counter by a one-time code the counter terminal shows (6 digits,
valid PAIRING_VALIDITY, stored hashed, a new one replaces the old): redeeming it opens a desk
session (a random cookie token, stored hashed) that lasts until the office day ends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, or_, select, update

from central.context import Central
from central.day_keys import unseal
from central.db import Database
from central.schema import desk_pairings, desk_sessions, devices, identities, sessions, tickets
from central.ticket_state import CALLED
from central.tokens import digest

PAIRING_VALIDITY = timedelta(minutes=5)
SESSIONS_PER_COUNTER = 3  # an officer's PC, a colleague's, a replacement: the oldest goes first
CARD_FIELDS = ("id", "old_id", "name", "birth", "sex", "address", "issued")


@dataclass(frozen=True)
class Pairing:
    code: str  # "123-456"
    expires_at: datetime


@dataclass(frozen=True)
class DeskSession:
    session_id: str
    office: str
    counter: int
    expires_at: datetime


@dataclass(frozen=True)
class OpenedSession:
    session: DeskSession
    token: str  # the cookie's value, shown once


def normalise_pairing_code(text: str) -> str | None:
    """The 6 digits of a typed code ("123-456", "123 456", "123456"), or None."""
    digits = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def new_pairing(central: Central, *, office: str, counter: int) -> Pairing:
    """A fresh one-time code for `counter`; the one it had before stops working."""
    now = central.now()
    digits = f"{secrets.randbelow(10**6):06d}"
    row = {
        "code_hash": digest(f"{office}/{counter}/{digits}"),
        "created_at": now,
        "expires_at": now + PAIRING_VALIDITY,
        "used_at": None,
    }

    def store(conn: Connection) -> None:
        where = and_(desk_pairings.c.office == office, desk_pairings.c.counter == counter)
        conn.execute(delete(desk_pairings).where(where))
        conn.execute(desk_pairings.insert().values(office=office, counter=counter, **row))

    central.db.run(store)
    return Pairing(f"{digits[:3]}-{digits[3:]}", row["expires_at"])


def redeem_pairing(central: Central, *, office: str | None, typed: str) -> OpenedSession | None:
    """A desk session for the counter whose live code this is (of `office`, or of any office),
    or None (wrong, used, expired)."""
    digits = normalise_pairing_code(typed)
    if digits is None:
        return None
    now = central.now()
    token = secrets.token_urlsafe(32)
    session_id = secrets.token_hex(4)

    def redeem(conn: Connection) -> OpenedSession | None:
        query = select(
            desk_pairings.c.office, desk_pairings.c.counter, desk_pairings.c.code_hash
        ).where(desk_pairings.c.used_at.is_(None), desk_pairings.c.expires_at > now)
        if office is not None:
            query = query.where(desk_pairings.c.office == office)
        found = next(
            (
                (row.office, row.counter)
                for row in conn.execute(query)
                if secrets.compare_digest(
                    row.code_hash, digest(f"{row.office}/{row.counter}/{digits}")
                )
            ),
            None,
        )
        if found is None:
            return None
        office_, match = found
        claimed = conn.execute(
            update(desk_pairings)
            .where(
                desk_pairings.c.office == office_,
                desk_pairings.c.counter == match,
                desk_pairings.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            return None  # another browser redeemed it meanwhile
        _drop_oldest_sessions(conn, office_, match, now)
        expires_at = central.rule(office_).end_of_day_containing(now)
        conn.execute(
            desk_sessions.insert().values(
                session_id=session_id,
                token_hash=digest(token),
                office=office_,
                counter=match,
                created_at=now,
                expires_at=expires_at,
                ended_at=None,
            )
        )
        return OpenedSession(DeskSession(session_id, office_, match, expires_at), token)

    return central.db.run(redeem)


def _end_sessions(conn: Connection, now: datetime, *where: Any) -> int:
    """End the live desk sessions matching `where`; how many were live."""
    ending = update(desk_sessions).where(desk_sessions.c.ended_at.is_(None), *where)
    return conn.execute(ending.values(ended_at=now)).rowcount


def _drop_oldest_sessions(conn: Connection, office: str, counter: int, now: datetime) -> None:
    live = conn.execute(
        select(desk_sessions.c.session_id)
        .where(
            desk_sessions.c.office == office,
            desk_sessions.c.counter == counter,
            desk_sessions.c.ended_at.is_(None),
            desk_sessions.c.expires_at > now,
        )
        .order_by(desk_sessions.c.created_at.desc())
    ).all()
    stale = [row.session_id for row in live[SESSIONS_PER_COUNTER - 1 :]]
    if stale:
        _end_sessions(conn, now, desk_sessions.c.session_id.in_(stale))


def desk_session(central: Central, token: str) -> DeskSession | None:
    """The live desk session of a cookie token, or None (unknown, signed out, day over)."""
    now = central.now()

    def lookup(conn: Connection) -> DeskSession | None:
        row = conn.execute(
            select(desk_sessions).where(
                desk_sessions.c.token_hash == digest(token),
                desk_sessions.c.ended_at.is_(None),
                desk_sessions.c.expires_at > now,
            )
        ).first()
        if row is None:
            return None
        return DeskSession(row.session_id, row.office, row.counter, row.expires_at)

    return central.db.read(lookup)


def end_desk_sessions_of_device(db: Database, *, office: str, device_id: str, now: datetime) -> int:
    """End every live desk session of the counter whose device `device_id` is (its device was
    revoked: the browsers it paired go with it)."""
    counters = select(devices.c.counter).where(
        devices.c.office == office,
        devices.c.device_id == device_id,
        devices.c.role == "counter",
    )
    return db.run(
        lambda conn: _end_sessions(
            conn, now, desk_sessions.c.office == office, desk_sessions.c.counter.in_(counters)
        )
    )


def end_desk_session_by_reader(db: Database, *, office: str, reader: str, now: datetime) -> int:
    """End the desk session named `desk-page-<id>` in the access log (`kiosk-central revoke`)."""
    session_id = reader.removeprefix("desk-page-")
    return db.run(
        lambda conn: _end_sessions(
            conn, now, desk_sessions.c.office == office, desk_sessions.c.session_id == session_id
        )
    )


def end_desk_session(central: Central, session_id: str) -> None:
    now = central.now()
    central.db.run(lambda conn: _end_sessions(conn, now, desk_sessions.c.session_id == session_id))


def desk_record(central: Central, *, office: str, counter: int) -> dict[str, Any]:
    """What the desk shows now: the ticket called at `counter` (its session not closed) and the
    newest card read for it, if any (docs/central-api.md)."""
    now = central.now()
    today = central.office_day(office, now)

    def read(conn: Connection) -> tuple[Any, Any] | None:
        closed = exists().where(
            sessions.c.office == office,
            sessions.c.day == tickets.c.day,
            sessions.c.label == tickets.c.label,
        )
        ticket = conn.execute(
            select(
                tickets.c.ticket_id,
                tickets.c.day,
                tickets.c.label,
                tickets.c.field_id,
                tickets.c.called_at,
            )
            .where(
                tickets.c.office == office,
                tickets.c.day == today,
                tickets.c.state == CALLED,
                tickets.c.counter == counter,
                tickets.c.issued_at.is_not(None),
                ~closed,
            )
            .order_by(tickets.c.called_at.desc())
            .limit(1)
        ).first()
        if ticket is None:
            return None
        card = conn.execute(
            select(
                identities.c.event_id,
                identities.c.identity,
                identities.c.source,
                identities.c.received_at,
            )
            .where(
                identities.c.office == office,
                identities.c.day == ticket.day,
                identities.c.label == ticket.label,
                or_(identities.c.ticket_id.is_(None), identities.c.ticket_id == ticket.ticket_id),
            )
            # The officer's own scan first, whenever a lobby's read of the ticket arrives.
            .order_by((identities.c.source == "counter").desc(), identities.c.received_at.desc())
            .limit(1)
        ).first()
        return ticket, card

    found = central.db.read(read)
    body: dict[str, Any] = {"office": office, "counter": counter, "generated_at": now}
    if found is None:
        return {**body, "state": "no_ticket", "ticket": None, "card": None}
    ticket, row = found
    shown = {
        "day": ticket.day.isoformat(),
        "label": ticket.label,
        "field_id": ticket.field_id,
        "called_at": ticket.called_at,
    }
    card = None if row is None else _opened_card(central, office, ticket.day, row)
    state = "no_card" if card is None else "card"
    return {**body, "state": state, "ticket": shown, "card": card}


def _opened_card(central: Central, office: str, day: date, row: Any) -> dict[str, Any] | None:
    key = central.keys.key(office, day, create=False)
    if key is None:
        return None  # the day's key is gone: the identity cannot be read any more
    identity = unseal(row.identity, key, row.event_id)
    card = {name: identity.get(name) or "" for name in CARD_FIELDS}
    return {**card, "source": row.source or "lobby", "read_at": row.received_at}
