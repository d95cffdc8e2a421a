"""Who is signed in at this counter: PIN or badge sign-in, the wrong-PIN lock, sign-out.

Five wrong PINs in a row lock the sign-in of this counter for `[counter] signin_lock_minutes`,
whatever officer codes were typed (guessing another code is no way around it); the count and the
lock are kept in the store, so a restart does not reset them. An unknown officer code costs the
same time as a wrong PIN and gets the same answer, so codes cannot be found by trying.

A badge (kiosk.badges) signs in without a PIN and is not held up by the PIN lock: its signature
cannot be guessed, and it is how an officer who forgot the PIN gets in.

The app polls should_sign_out(): after `[counter] officer_idle_signout` minutes without a
touch, or once the office day the officer signed in on is over (the next `day_starts_at`).
Thread-safe; sign-in verifies a scrypt hash (~50 ms): call it from a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from common.office_clock import aware_now
from kiosk.badges import InvalidBadge, badge_key, verify_badge
from kiosk.config import DECOY_PIN_HASH, Config, OfficerConfig, verify_pin
from kiosk.store import Store

MAX_WRONG_PINS = 5
PIN_SCOPE = "pin"  # the one sign-in guard of this counter


@dataclass(frozen=True)
class Officer:
    """The officer signed in: what the screens may show and events carry (never the PIN hash)."""

    id: str
    name: str
    title: str

    @classmethod
    def from_config(cls, officer: OfficerConfig) -> Officer:
        return cls(officer.id, officer.name, officer.title)


class SignInError(Exception):
    """Sign-in refused; the message is one plain English sentence."""


class WrongPin(SignInError):
    """Unknown officer code or wrong PIN (the two are not told apart)."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(
            f"Wrong officer code or PIN; {attempts_left} more tries before sign-in is locked."
        )
        self.attempts_left = attempts_left


class SignInLocked(SignInError):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"Sign-in is locked after {MAX_WRONG_PINS} wrong PINs until {until}.")
        self.until = until


class BadgeRefused(SignInError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Badge refused: {reason}.")
        self.reason = reason


class NotSignedIn(Exception):
    """An action needs an officer signed in at this counter."""


class Officers:
    """The sign-in of one counter terminal."""

    def __init__(
        self, store: Store, config: Config, clock: Callable[[], datetime] = aware_now
    ) -> None:
        self._config = config
        self._clock = clock
        self._guard = store.signin_guard(
            PIN_SCOPE,
            limit=MAX_WRONG_PINS,
            lock_for=timedelta(minutes=config.counter.signin_lock_minutes),
        )
        self._lock = threading.RLock()
        self._current: Officer | None = None
        self._signed_in_day: date | None = None
        self._last_activity: datetime | None = None

    @property
    def current(self) -> Officer | None:
        with self._lock:
            return self._current

    def require(self) -> Officer:
        """The officer signed in, counting this as activity; raises NotSignedIn."""
        with self._lock:
            if self._current is None:
                raise NotSignedIn("no officer is signed in at this counter")
            self._last_activity = self._now()
            return self._current

    def locked_until(self) -> datetime | None:
        """When the PIN sign-in unlocks, or None when it is not locked."""
        return self._guard.locked_until(self._now())

    def sign_in(self, officer_id: str, pin: str) -> Officer:
        """Sign in with officer code and PIN. Raises SignInLocked or WrongPin."""
        with self._lock:
            officer = self._config.officer(officer_id.strip())
            attempt = self._guard.attempt(
                lambda: (
                    verify_pin(pin, officer.pin_hash if officer else DECOY_PIN_HASH)
                    and officer is not None
                ),
                self._now,
            )
            if attempt.locked_until is not None:
                raise SignInLocked(attempt.locked_until.astimezone(self._config.office.timezone))
            if officer is None or not attempt.passed:
                raise WrongPin(MAX_WRONG_PINS - attempt.wrong_in_a_row)
            return self._begin(officer)

    def sign_in_badge(self, payload: str) -> Officer:
        """Sign in with a scanned badge QR. Raises BadgeRefused."""
        with self._lock:
            key = badge_key(self._config.device.data_dir)
            if key is None:
                raise BadgeRefused(
                    "this counter has no office badge key (kiosk badge-key --import FILE)"
                )
            try:
                officer_id = verify_badge(payload, office=self._config.office.code, key=key)
            except InvalidBadge as error:
                raise BadgeRefused(error.reason) from None
            officer = self._config.officer(officer_id)
            if officer is None:
                raise BadgeRefused(f"officer {officer_id} is not in officers.toml")
            if not officer.badge:
                raise BadgeRefused(f"the badges of officer {officer_id} are withdrawn")
            return self._begin(officer)

    def sign_out(self) -> None:
        with self._lock:
            self._current = None
            self._signed_in_day = None
            self._last_activity = None

    def touch(self) -> None:
        """The officer did something: the inactivity time starts again."""
        with self._lock:
            if self._current is not None:
                self._last_activity = self._now()

    def should_sign_out(self, now: datetime | None = None) -> bool:
        """Whether the officer signed in should be signed out now: idle for too long, or the
        office day they signed in on is over. False when nobody is signed in."""
        with self._lock:
            if self._current is None or self._last_activity is None:
                return False
            now = self._now() if now is None else now
            idle = timedelta(minutes=self._config.counter.officer_idle_signout)
            if now - self._last_activity >= idle:
                return True
            return self._config.office.day_rule.day_of(now) != self._signed_in_day

    def _begin(self, officer: OfficerConfig) -> Officer:
        now = self._now()
        self._current = Officer.from_config(officer)
        self._signed_in_day = self._config.office.day_rule.day_of(now)
        self._last_activity = now
        return self._current

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must give aware datetimes")
        return now
