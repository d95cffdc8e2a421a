"""A call as one UDP datagram on the office network, signed with the hall key, and the checks
the display makes before it believes one (kiosk.hall_network sends and receives them).

The datagram is UTF-8 JSON: the fields of HallCall.to_json() and `version`, `device_id`,
`sent_at` (aware ISO time), `nonce` (random hex, one per call sent), `attempt` (0, 1, 2...: the
repeats of one send against loss), `key_id`, and `mac`: HMAC-SHA256 in hex, keyed with the hall
key `key_id` names, over the canonical JSON (keys sorted, no spaces, UTF-8) of every other
field. The display accepts it only if the version is known, the key id is one it holds, the MAC
matches, the office is its own, `sent_at` is within the allowed skew of its own clock, and its
nonce was not seen within that window. A later attempt of a nonce already seen is a repeat (no
second call); the same nonce and attempt again is a replay: a captured datagram sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.hall_calls import HallCall
from kiosk.hall_key import HallKey

VERSION = 1
MAX_DATAGRAM = 2048  # bytes; a call is about 400
NONCE = re.compile(r"[0-9a-f]{32}")
MAX_NONCES = 100_000  # remembered at most (only authentic datagrams add one)
MAX_ATTEMPTS = 10

# Why a datagram was refused (the listener counts each).
OVERSIZED = "oversized"
GARBAGE = "garbage"
VERSION_UNKNOWN = "version"
NO_KEY = "no_key"
UNKNOWN_KEY = "unknown_key"
BAD_MAC = "bad_mac"
WRONG_OFFICE = "wrong_office"
STALE = "stale"
FUTURE = "future"
REPLAY = "replay"
REASONS = (
    OVERSIZED,
    GARBAGE,
    VERSION_UNKNOWN,
    NO_KEY,
    UNKNOWN_KEY,
    BAD_MAC,
    WRONG_OFFICE,
    STALE,
    FUTURE,
    REPLAY,
)
REPEAT = "repeat"  # not a refusal: a repeat of a call already taken (counted apart)


class Refused(Exception):
    """A datagram the display does not believe; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}{': ' if detail else ''}{detail}")
        self.reason = reason


def canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def mac_of(key: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def encode(
    call: HallCall,
    *,
    device_id: str,
    sent_at: datetime,
    hall_key: HallKey,
    nonce: str | None = None,
    attempt: int = 0,
) -> bytes:
    """The signed datagram of `call`, sent by `device_id` at `sent_at` (aware); its repeats
    share the `nonce` and count `attempt`."""
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be aware")
    fields = {
        **call.to_json(),
        "version": VERSION,
        "device_id": device_id,
        "sent_at": sent_at.isoformat(),
        "nonce": nonce or new_nonce(),
        "attempt": attempt,
        "key_id": hall_key.key_id,
    }
    fields["mac"] = mac_of(hall_key.key, fields)
    return canonical(fields)


def new_nonce() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class SignedCall:
    call: HallCall
    device_id: str
    sent_at: datetime
    nonce: str
    attempt: int
    key_id: str


def authenticate(datagram: bytes, keys: Mapping[str, bytes]) -> SignedCall:
    """The call in a datagram whose signature holds with one of `keys` (by key id); raises
    Refused. The office, time and replay checks are CallVerifier's."""
    if len(datagram) > MAX_DATAGRAM:
        raise Refused(OVERSIZED, f"{len(datagram)} bytes")
    try:
        fields = json.loads(datagram.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(GARBAGE, "not UTF-8 JSON") from None
    if not isinstance(fields, dict):
        raise Refused(GARBAGE, "not a JSON object")
    version = fields.get("version")
    if version != VERSION or isinstance(version, bool):
        raise Refused(VERSION_UNKNOWN, f"version {str(version)[:20]!r}")
    mac, key_id = fields.pop("mac", None), fields.get("key_id")
    if not isinstance(mac, str) or not isinstance(key_id, str):
        raise Refused(GARBAGE, "no mac or key_id")
    if not keys:
        raise Refused(NO_KEY)
    key = keys.get(key_id)
    if key is None:
        raise Refused(UNKNOWN_KEY, f"key id {key_id[:64]!r}")
    try:
        expected = mac_of(key, fields)
    except ValueError:  # a NaN or such: nothing we would have signed
        raise Refused(GARBAGE, "not canonical JSON") from None
    if not hmac.compare_digest(mac, expected):
        raise Refused(BAD_MAC)
    # Authentic from here on: a malformed field is a sender's bug, still refused.
    try:
        call = HallCall.from_json(fields)
        device_id, nonce, attempt = fields["device_id"], fields["nonce"], fields["attempt"]
        sent_at = datetime.fromisoformat(fields["sent_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise Refused(GARBAGE, f"a malformed call ({error})") from None
    if sent_at.tzinfo is None or not isinstance(device_id, str) or not device_id:
        raise Refused(GARBAGE, "sent_at without offset, or no device_id")
    if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
        raise Refused(GARBAGE, "a malformed nonce")
    if isinstance(attempt, bool) or not isinstance(attempt, int):
        raise Refused(GARBAGE, "a malformed attempt")
    if not 0 <= attempt < MAX_ATTEMPTS:
        raise Refused(GARBAGE, "a malformed attempt")
    return SignedCall(call, device_id, sent_at, nonce, attempt, key_id)


class CallVerifier:
    """The display's checks of each datagram: signature (with the keys `keys()` returns
    now), office, time within `max_skew` of `clock`, and no replay. Thread-safe."""

    def __init__(
        self,
        office: str,
        keys: Callable[[], Mapping[str, bytes]],
        clock: Callable[[], datetime],
        max_skew: float,
    ) -> None:
        self._office = office
        self._keys = keys
        self._clock = clock
        self._skew = timedelta(seconds=max_skew)
        # nonce → its sent_at and the attempts seen, while within the window
        self._seen: dict[str, tuple[datetime, set[int]]] = {}
        self._lock = threading.Lock()

    def verify(self, datagram: bytes) -> SignedCall:
        """The call, if the display may believe it and has not had it yet; raises Refused
        (REPEAT for a further attempt of a call already taken)."""
        signed = authenticate(datagram, self._keys())
        if signed.call.office != self._office:
            raise Refused(WRONG_OFFICE, f"office {signed.call.office[:16]!r}")
        now = self._clock()
        with self._lock:
            seen = self._seen.get(signed.nonce)
            if seen is not None:  # a call already taken, whatever the time is now
                attempts = seen[1]
                if signed.attempt in attempts:
                    raise Refused(REPLAY, f"attempt {signed.attempt} again")
                attempts.add(signed.attempt)
                raise Refused(REPEAT)
            if signed.sent_at < now - self._skew:
                raise Refused(STALE, f"sent {(now - signed.sent_at).total_seconds():.0f} s ago")
            if signed.sent_at > now + self._skew:
                ahead = (signed.sent_at - now).total_seconds()
                raise Refused(FUTURE, f"sent {ahead:.0f} s ahead")
            self._forget_before(now - self._skew)
            self._seen[signed.nonce] = (signed.sent_at, {signed.attempt})
        return signed

    def _forget_before(self, oldest: datetime) -> None:
        """Nonces of datagrams that would now be refused as stale anyway are let go."""
        stale = [nonce for nonce, (sent_at, _) in self._seen.items() if sent_at < oldest]
        for nonce in stale:
            del self._seen[nonce]
        while len(self._seen) >= MAX_NONCES:  # only with a flood of authentic datagrams
            del self._seen[next(iter(self._seen))]
