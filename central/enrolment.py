"""Enrolment codes, device and viewer tokens, revocation, and who a bearer token belongs to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from central.db import Database
from central.schema import devices, enroll_codes
from central.tokens import digest, new_code, new_token, normalise_code

CODE_VALIDITY = timedelta(days=7)
DEVICE_ROLES = ("lobby", "counter", "display")
VIEWER = "viewer"
# A read-only token for the fleet of every office (the fleet page and /metrics), for a city's
# operations team: it reads no office's tickets, reports or queue.
MONITOR = "monitor"
ALL_OFFICES = "*"  # the office of a monitor token
# The provincial one-stop software's token: it reads the desk (the called citizen's card data) of
# its office's counters, or of one counter, and nothing else (central.desk_routes).
DESK = "desk"
# A read-only token for a city's department: the city view of its city and the reports of every
# office whose city (`kiosk-central office --city`) is its own; no queue, event or card data.
# Its office is ALL_OFFICES, its city in devices.city.
CITY = "city"


class EnrolmentRefused(Exception):
    """A code that cannot enrol this device; the message says why in one sentence."""


@dataclass(frozen=True)
class IssuedCode:
    code: str
    office: str
    role: str
    counter: int | None
    device_id: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Credentials:
    """What an enrolled device (or a viewer) is told once: its token is never shown again."""

    device_id: str
    token: str
    office: str
    role: str
    counter: int | None


@dataclass(frozen=True)
class Principal:
    """The holder of a valid bearer token."""

    office: str
    device_id: str
    role: str
    counter: int | None
    city: str | None = None  # the city of a city token


def create_code(
    db: Database,
    *,
    office: str,
    role: str,
    now: datetime,
    counter: int | None = None,
    device_id: str | None = None,
) -> IssuedCode:
    """Store the hash of a new one-time code, valid for 7 days from `now`."""
    if role not in DEVICE_ROLES:
        raise ValueError(f"role must be one of {', '.join(DEVICE_ROLES)}")
    code = new_code()
    issued = IssuedCode(code, office, role, counter, device_id, now + CODE_VALIDITY)

    def store(conn: Connection) -> None:
        conn.execute(
            enroll_codes.insert().values(
                code_hash=digest(code),
                office=office,
                role=role,
                counter=counter,
                device_id=device_id,
                created_at=now,
                expires_at=issued.expires_at,
            )
        )

    db.run(store)
    return issued


def enroll(
    db: Database,
    *,
    code: str,
    device_id: str | None,
    role: str,
    version: str | None,
    now: datetime,
) -> Credentials:
    """Redeem a code once; an earlier token of the same device id in the office is revoked."""
    code_hash = digest(normalise_code(code))

    def redeem(conn: Connection) -> Credentials:
        row = conn.execute(
            select(enroll_codes).where(enroll_codes.c.code_hash == code_hash)
        ).first()
        if row is None:
            raise EnrolmentRefused("unknown enrolment code")
        if row.used_at is not None:
            raise EnrolmentRefused("this enrolment code was already used")
        if row.expires_at <= now:
            raise EnrolmentRefused("this enrolment code has expired; ask for a new one")
        if row.role != role:
            raise EnrolmentRefused(f"this enrolment code is for a {row.role} device, not {role}")
        if row.device_id is not None and device_id not in (None, row.device_id):
            raise EnrolmentRefused(f"this enrolment code is for device {row.device_id}")
        name = row.device_id or device_id
        if name is None:
            raise EnrolmentRefused("this enrolment code names no device: send device.id")
        claimed = conn.execute(
            update(enroll_codes)
            .where(enroll_codes.c.code_hash == code_hash, enroll_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            raise EnrolmentRefused("this enrolment code was already used")
        return _issue_token(conn, row.office, name, row.role, row.counter, version, now)

    return db.run(redeem)


def create_viewer_token(db: Database, *, office: str, now: datetime) -> Credentials:
    """A read-only token for reports and the queue, under a new `viewer-…` id."""
    name = f"{VIEWER}-{secrets.token_hex(4)}"
    return db.run(lambda conn: _issue_token(conn, office, name, VIEWER, None, None, now))


def create_desk_token(
    db: Database, *, office: str, counter: int | None, now: datetime
) -> Credentials:
    """A token for the provincial software to read the desk, under a new `desk-…` id."""
    name = f"{DESK}-{secrets.token_hex(4)}"
    return db.run(lambda conn: _issue_token(conn, office, name, DESK, counter, None, now))


def create_monitor_token(db: Database, *, now: datetime) -> Credentials:
    """A read-only token for the health of every office's devices, under a new `monitor-…` id."""
    name = f"{MONITOR}-{secrets.token_hex(4)}"
    return db.run(lambda conn: _issue_token(conn, ALL_OFFICES, name, MONITOR, None, None, now))


def create_city_token(db: Database, *, city: str, now: datetime) -> Credentials:
    """A read-only token for the reports of a city's offices, under a new `city-…` id; `city` as
    stored by central.offices.clean_label."""
    name = f"{CITY}-{secrets.token_hex(4)}"

    return db.run(
        lambda conn: _issue_token(conn, ALL_OFFICES, name, CITY, None, None, now, city=city)
    )


def revoke(db: Database, *, office: str, device_id: str, now: datetime) -> int:
    """Revoke every live token of a device (or viewer); returns how many were live."""

    def revoke_tokens(conn: Connection) -> int:
        return _revoke(conn, office, device_id, now)

    return db.run(revoke_tokens)


def authenticate(db: Database, token: str) -> Principal | None:
    """The holder of a live token, or None for an unknown or revoked one."""
    token_hash = digest(token)

    def lookup(conn: Connection) -> Principal | None:
        row = conn.execute(
            select(
                devices.c.office,
                devices.c.device_id,
                devices.c.role,
                devices.c.counter,
                devices.c.city,
            ).where(devices.c.token_hash == token_hash, devices.c.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        return Principal(row.office, row.device_id, row.role, row.counter, row.city)

    return db.read(lookup)


def _revoke(conn: Connection, office: str, device_id: str, now: datetime) -> int:
    result = conn.execute(
        update(devices)
        .where(
            devices.c.office == office,
            devices.c.device_id == device_id,
            devices.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount


def _issue_token(
    conn: Connection,
    office: str,
    device_id: str,
    role: str,
    counter: int | None,
    version: str | None,
    now: datetime,
    *,
    city: str | None = None,
) -> Credentials:
    _revoke(conn, office, device_id, now)
    token = new_token()
    conn.execute(
        devices.insert().values(
            office=office,
            device_id=device_id,
            role=role,
            counter=counter,
            version=version,
            city=city,
            token_hash=digest(token),
            enrolled_at=now,
        )
    )
    return Credentials(device_id, token, office, role, counter)
