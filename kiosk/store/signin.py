"""The signin_guard table: wrong PINs in a row and the lock they lead to, per scope, kept across
restarts. A scope is one PIN entry: the officers' sign-in at a counter (kiosk.officers), the
technician menu of the lobby (apps.lobby).

The rule: while a scope is locked its PINs are refused unchecked; the `limit`-th wrong PIN in a
row locks it for `lock_for` and starts the count again; a right PIN clears the count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.store.connection import Database
from kiosk.store.schema import utc_moment, utc_text


@dataclass(frozen=True)
class Attempt:
    """How a PIN typed into a guarded entry ended."""

    passed: bool
    wrong_in_a_row: int  # this wrong PIN's place in its run; 0 when right or refused unchecked
    locked_until: datetime | None  # set when refused for the lock (this PIN's or an earlier one)


def _locked_until(conn: sqlite3.Connection, scope: str, now: datetime) -> datetime | None:
    row = conn.execute("SELECT locked_until FROM signin_guard WHERE scope = ?", (scope,)).fetchone()
    until = None if row is None else utc_moment(row["locked_until"])
    return until if until is not None and until > now else None


class SigninGuard:
    """The guard of one scope."""

    def __init__(self, db: Database, scope: str, *, limit: int, lock_for: timedelta) -> None:
        self._db = db
        self._scope = scope
        self._limit = limit
        self._lock_for = lock_for

    def locked_until(self, now: datetime) -> datetime | None:
        """When the scope unlocks (UTC), or None when it is not locked at `now`."""
        with self._db.read() as conn:
            return _locked_until(conn, self._scope, now)

    def attempt(self, verify: Callable[[], bool], clock: Callable[[], datetime]) -> Attempt:
        """A PIN typed now (`clock`): refused unchecked while the scope is locked, else
        `verify()` (the slow hash check) decides, and the count follows."""
        until = self.locked_until(clock())
        if until is not None:
            return Attempt(passed=False, wrong_in_a_row=0, locked_until=until)
        if verify():
            with self._db.write() as conn:
                conn.execute("DELETE FROM signin_guard WHERE scope = ?", (self._scope,))
            return Attempt(passed=True, wrong_in_a_row=0, locked_until=None)
        now = clock()
        with self._db.write() as conn:
            wrong = conn.execute(
                "INSERT INTO signin_guard (scope, failures) VALUES (?, 1)"
                " ON CONFLICT (scope) DO UPDATE SET failures = failures + 1 RETURNING failures",
                (self._scope,),
            ).fetchone()[0]
            conn.execute(
                "UPDATE signin_guard SET failures = 0, locked_until = ?"
                " WHERE scope = ? AND failures >= ?",
                (utc_text(now + self._lock_for), self._scope, self._limit),
            )
            until = _locked_until(conn, self._scope, now)
        return Attempt(passed=False, wrong_in_a_row=wrong, locked_until=until)
