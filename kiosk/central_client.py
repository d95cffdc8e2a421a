"""HTTP client of the central API (docs/central-api.md): enrolment, event upload, call-next,
the hall display's calls feed and hall key, health.

Any answer the device cannot act on safely is an exception. In particular a 200 whose body is
not the expected list of results, one per event sent and in order, is CentralUnavailable (try
again later), never an acknowledgement. TLS certificates are always verified, against the
system's authorities or the city's own CA bundle.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from common.version import __version__
from kiosk.events import Event

ENROLL_PATH = "/api/v1/enroll"
EVENTS_PATH = "/api/v1/events"
IDENTITY_PATH = "/api/v1/offices/{office}/counters/{counter}/identity"
HEALTH_PATH = "/api/v1/health"
CALL_NEXT_PATH = "/api/v1/offices/{office}/counters/{counter}/call-next"
TAKE_PATH = "/api/v1/offices/{office}/counters/{counter}/take"
TAKE_TIMEOUT = 3.0
CALLS_PATH = "/api/v1/offices/{office}/calls"
HALL_KEY_PATH = "/api/v1/offices/{office}/hall-key"
HALL_KEY_BYTES = 32
QUEUE_PATH = "/api/v1/offices/{office}/queue"
DEVICE_HEALTH_PATH = "/api/v1/devices/health"
DESK_PAIRING_PATH = "/api/v1/offices/{office}/counters/{counter}/desk-pairing"
_PAIRING_CODE = re.compile(r"\d{3}-\d{3}")

# The keys of a call-next answer and their JSON types.
_CALLED_TICKET = {
    "ticket_id": str,
    "label": str,
    "field_id": str,
    "priority": bool,
    "issued_at": str,
    "day": str,
    "session_id": str,
}

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
_STATUSES = (ACCEPTED, DUPLICATE, REJECTED)

_DETAIL_CHARS = 300
_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^(]+?)\s*\(_ssl")


class CentralError(Exception):
    """The central server did not do what was asked; the message is one plain sentence."""


class CentralUnavailable(CentralError):
    """Unreachable, too slow, failing (5xx), busy (429) or answering nonsense: try later,
    after `retry_after` seconds when the server said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CentralNoAnswer(CentralUnavailable):
    """No answer at all (no connection, a timeout, a cut connection): the server may be down or
    out of reach, rather than answering but failing."""


class CentralNotVerified(CentralNoAnswer):
    """The server's TLS certificate could not be verified (wrong CA bundle, expired, another
    name): no request was sent."""


class CentralUnauthorized(CentralError):
    """The server does not accept this device's token (unknown or revoked): 401."""


class CentralRefused(CentralError):
    """The server refused the request itself (a 4xx other than 401 and 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HeldElsewhere(CentralError):
    """The ticket is called at another counter (409): nothing was changed."""

    def __init__(self, message: str, counter: int, served: bool) -> None:
        super().__init__(message)
        self.counter = counter
        self.served = served


@dataclass(frozen=True)
class EventResult:
    id: str
    status: str  # accepted | duplicate | rejected
    reason: str | None


@dataclass(frozen=True)
class EnrolmentReply:
    device_id: str
    token: str = field(repr=False)
    office: str
    role: str
    counter: int | None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from `now`; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


@dataclass(frozen=True)
class Health:
    """A health answer: the server's clock (None if it gave none) and how long the answer
    took (the sync worker reads its own clock as it arrives)."""

    server_time: datetime | None
    round_trip: float


class CentralClient:
    """One central server, seen by one device. Not thread-safe: one worker uses it."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_bundle: Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._host = urllib.parse.urlsplit(self.base_url).netloc
        self._session = requests.Session()
        self._session.verify = str(ca_bundle) if ca_bundle is not None else True
        self._session.trust_env = False  # no proxy or CA bundle from the environment
        self._session.headers["User-Agent"] = f"kiosk/{__version__}"
        if token is not None:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"CentralClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def enroll(self, code: str, device: dict[str, str]) -> EnrolmentReply:
        """Exchange a one-time enrolment code for this device's token."""
        response = self._post(ENROLL_PATH, {"code": code, "device": device})
        if response.status_code == 400:
            raise CentralRefused(
                f"The central server refused the enrolment code: {_detail(response)}.", 400
            )
        body = self._json(self._check(response))
        try:
            reply = EnrolmentReply(
                device_id=body["device_id"],
                token=body["token"],
                office=body["office"],
                role=body["role"],
                counter=body.get("counter"),
            )
        except (KeyError, TypeError):
            raise self._garbage() from None
        texts = (reply.device_id, reply.token, reply.office, reply.role)
        counter_ok = reply.counter is None or (
            isinstance(reply.counter, int) and not isinstance(reply.counter, bool)
        )
        if not all(isinstance(text, str) and text for text in texts) or not counter_ok:
            raise self._garbage()
        return reply

    def send_events(self, batch: list[Event]) -> list[EventResult]:
        """Deliver events; returns the server's verdict on each, in the order sent."""
        response = self._check(self._post(EVENTS_PATH, {"events": batch}))
        body = self._json(response)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(batch):
            raise self._garbage()
        verdicts = []
        for event, result in zip(batch, results, strict=True):
            if (
                not isinstance(result, dict)
                or result.get("id") != event["id"]
                or result.get("status") not in _STATUSES
            ):
                raise self._garbage()
            reason = result.get("reason")
            if result["status"] == REJECTED and not (isinstance(reason, str) and reason):
                reason = "rejected by the central server without a reason"
            verdicts.append(EventResult(event["id"], result["status"], reason))
        return verdicts

    def call_next(
        self, office: str, counter: int, officer_id: str, fields: list[str]
    ) -> dict[str, Any] | None:
        """Take the next waiting ticket of `fields` for this counter: the server marks it
        called and opens its session. Returns {ticket_id, label, field_id, priority,
        issued_at, day, session_id}, or None when no ticket waits (204)."""
        path = CALL_NEXT_PATH.format(office=urllib.parse.quote(office, safe=""), counter=counter)
        response = self._post(path, {"officer_id": officer_id, "fields": fields})
        if response.status_code == 204:
            return None
        body = self._json(self._check(response))
        if not isinstance(body, dict) or any(
            type(body.get(key)) is not kind for key, kind in _CALLED_TICKET.items()
        ):
            raise self._garbage()
        return {key: body[key] for key in _CALLED_TICKET}

    def take(
        self,
        office: str,
        counter: int,
        officer_id: str,
        *,
        day: str,
        label: str,
        field_id: str | None,
    ) -> dict[str, Any] | None:
        """Call a ticket the officer typed or scanned to this counter: the same answer as
        call_next, or None when the server does not know the ticket (404: the lobby's outbox
        has not arrived; take it offline). Raises HeldElsewhere when another counter holds it."""
        path = TAKE_PATH.format(office=urllib.parse.quote(office, safe=""), counter=counter)
        body = {"officer_id": officer_id, "day": day, "label": label, "field_id": field_id}
        # Short: while the network is down the officer takes the ticket offline instead.
        response = self._post(path, body, timeout=min(self.timeout, TAKE_TIMEOUT))
        if response.status_code == 404:
            return None
        if response.status_code == 409:
            held = self._json(response)
            holder = held.get("counter") if isinstance(held, dict) else None
            if not isinstance(holder, int) or isinstance(holder, bool):
                raise self._garbage()
            raise HeldElsewhere(_detail(response), holder, held.get("served") is True)
        answer = self._json(self._check(response))
        if not isinstance(answer, dict) or any(
            type(answer.get(key)) is not kind for key, kind in _CALLED_TICKET.items()
        ):
            raise self._garbage()
        return {key: answer[key] for key in _CALLED_TICKET}

    def identity(self, office: str, counter: int, day: str, label: str) -> dict[str, Any] | None:
        """The identity the citizen gave at the lobby for ticket `label` of `day`, served only
        while that ticket is called at `counter`; None when there is none (404). Personal
        data: for the screen, never to be stored or logged."""
        path = IDENTITY_PATH.format(office=urllib.parse.quote(office, safe=""), counter=counter)
        try:
            response = self._session.get(
                self.base_url + path,
                params={"day": day, "label": label},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise self._no_answer(error) from None
        if response.status_code == 404:
            return None
        body = self._json(self._check(response))
        if not isinstance(body, dict) or not isinstance(body.get("identity"), dict):
            raise self._garbage()
        return body["identity"]

    def desk_pairing(self, office: str, counter: int) -> dict[str, Any]:
        """A one-time code pairing the officer's computer with `counter` for its desk page:
        {"code": "123-456", "expires_at": aware datetime}. A new code replaces the last one."""
        path = DESK_PAIRING_PATH.format(office=urllib.parse.quote(office, safe=""), counter=counter)
        body = self._json(self._check(self._post(path, {})))
        try:
            code, expires_at = body["code"], datetime.fromisoformat(body["expires_at"])
        except (TypeError, KeyError, ValueError):
            raise self._garbage() from None
        if not isinstance(code, str) or not _PAIRING_CODE.fullmatch(code) or not expires_at.tzinfo:
            raise self._garbage()
        return {"code": code, "expires_at": expires_at}

    def calls(self, office: str, after: int | None, wait: float) -> dict[str, Any]:
        """The hall calls feed: {"calls": [{seq, key, kind, day, label, counter, field_id,
        occurred_at}, ...] in seq order, "last_seq": int, "server_time": str}. Without `after`
        the newest calls of the office day, at once; with it those after it, waiting up to
        `wait` seconds (0-30) for one (a long-poll: the request may take wait + the timeout).
        Go on with after=last_seq. Items parse with kiosk.hall_calls.HallCall.from_json."""
        params = {"wait": f"{wait:g}"}
        if after is not None:
            params["after"] = str(after)
        response = self._get(_office_path(CALLS_PATH, office), params, wait + self.timeout)
        body = self._json(self._check(response))
        calls = body.get("calls") if isinstance(body, dict) else None
        if (
            not isinstance(calls, list)
            or not _is_int(body.get("last_seq"))
            or not all(isinstance(item, dict) and _is_int(item.get("seq")) for item in calls)
        ):
            raise self._garbage()
        return body

    def hall_key(self, office: str) -> tuple[str, bytes]:
        """The office's hall key (key id, 32 bytes) that counters sign the calls they send the
        display with; only a counter or display device may read it (else CentralRefused 403)."""
        response = self._get(_office_path(HALL_KEY_PATH, office), {}, self.timeout)
        body = self._json(self._check(response))
        key_id = body.get("key_id") if isinstance(body, dict) else None
        text = body.get("key") if isinstance(body, dict) else None
        if not (isinstance(key_id, str) and key_id and isinstance(text, str)):
            raise self._garbage()
        try:
            key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise self._garbage() from None
        if len(key) != HALL_KEY_BYTES:
            raise self._garbage()
        return key_id, key

    def queue(self, office: str, *, timeout: float | None = None) -> dict[str, Any]:
        """The office's live queue (docs/central-api.md): {office, generated_at, fields:
        [{field_id, waiting, priority_waiting, ...}], recently_called}, its per-field counts
        checked; `timeout` (default the client's) bounds the wait."""
        response = self._get(_office_path(QUEUE_PATH, office), {}, timeout or self.timeout)
        body = self._json(self._check(response))
        fields = body.get("fields") if isinstance(body, dict) else None
        if (
            not isinstance(fields, list)
            or body.get("office") != office
            or not isinstance(body.get("generated_at"), str)
            or not all(_is_field_queue(entry) for entry in fields)
        ):
            raise self._garbage()
        return body

    def report_health(self, body: dict[str, Any]) -> None:
        """Tell the server how this device is (kiosk.device_health); raises CentralError when
        the report was not stored."""
        self._check(self._post(DEVICE_HEALTH_PATH, body))

    def health(self) -> Health:
        """Check that the server answers, and read its clock; raises CentralUnavailable when
        it does not answer."""
        started = time.monotonic()
        try:
            response = self._session.get(self.base_url + HEALTH_PATH, timeout=self.timeout)
        except requests.RequestException as error:
            raise self._no_answer(error) from None
        round_trip = time.monotonic() - started
        body = self._json(self._check(response))
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise self._garbage()
        server_time: datetime | None = None
        if isinstance(body.get("time"), str):
            with contextlib.suppress(ValueError):
                server_time = datetime.fromisoformat(body["time"])
        if server_time is not None and server_time.tzinfo is None:
            server_time = None
        return Health(server_time, round_trip)

    def _post(
        self, path: str, body: dict[str, Any], timeout: float | None = None
    ) -> requests.Response:
        try:
            return self._session.post(
                self.base_url + path, json=body, timeout=timeout or self.timeout
            )
        except requests.RequestException as error:
            raise self._no_answer(error) from None

    def _get(self, path: str, params: dict[str, str], timeout: float) -> requests.Response:
        try:
            return self._session.get(self.base_url + path, params=params, timeout=timeout)
        except requests.RequestException as error:
            raise self._no_answer(error) from None

    def _check(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status == 200:
            return response
        if status == 401:
            raise CentralUnauthorized(
                "The central server does not accept this device's token (revoked or unknown):"
                " enrol the device again with `kiosk enroll`."
            )
        wait = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
        if status in (429, 503):
            asked = "" if wait is None else f"; it asked to wait {wait:.0f} s"
            raise CentralUnavailable(
                f"The central server at {self._host} is busy (HTTP {status}){asked}.", wait
            )
        if status >= 500:
            raise CentralUnavailable(
                f"The central server at {self._host} failed (HTTP {status}): {_detail(response)}.",
                wait,
            )
        if 400 <= status < 500:
            raise CentralRefused(
                f"The central server at {self._host} refused the request (HTTP {status}):"
                f" {_detail(response)}.",
                status,
            )
        raise CentralUnavailable(
            f"The central server at {self._host} gave an unexpected answer (HTTP {status})."
        )

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._garbage() from None

    def _garbage(self) -> CentralUnavailable:
        return CentralUnavailable(
            f"The central server at {self._host} sent an answer that could not be understood."
        )

    def _no_answer(self, error: requests.RequestException) -> CentralNoAnswer:
        kind = (
            CentralNotVerified
            if isinstance(error, requests.exceptions.SSLError)
            else CentralNoAnswer
        )
        return kind(self._transport_problem(error))

    def _transport_problem(self, error: requests.RequestException) -> str:
        where = f"the central server at {self._host}"
        if isinstance(error, requests.exceptions.SSLError):
            match = _VERIFY_FAILED.search(str(error))
            why = f" ({match[1]})" if match else ""
            return f"Cannot verify {where} over TLS{why}: is the CA bundle the right one?"
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return f"Cannot connect to {where} within {self.timeout:g} s."
        if isinstance(error, requests.exceptions.ReadTimeout):
            return f"No answer from {where} within {self.timeout:g} s."
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            return f"The connection to {where} broke in the middle of its answer."
        if isinstance(error, requests.exceptions.ConnectionError):
            if "refused" in str(error).lower():
                return f"Cannot connect to {where}: the connection was refused."
            if "aborted" in str(error).lower() or "reset" in str(error).lower():
                return f"The connection to {where} was cut."
            return f"Cannot connect to {where}."
        return f"Cannot reach {where} ({type(error).__name__})."


def _is_field_queue(entry: Any) -> bool:
    """A field of a queue answer: its id, its two counts (whole numbers, not negative) and its
    estimated wait (minutes, not negative, or null)."""
    wait = entry.get("estimated_wait_minutes") if isinstance(entry, dict) else None
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("field_id"), str)
        and all(
            type(entry.get(key)) is int and entry[key] >= 0
            for key in ("waiting", "priority_waiting")
        )
        and (wait is None or (type(wait) in (int, float) and wait >= 0))
    )


def _office_path(template: str, office: str) -> str:
    return template.format(office=urllib.parse.quote(office, safe=""))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _detail(response: requests.Response) -> str:
    """The server's reason ({"detail": ...}) or its status text, kept short."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if detail is None:
        detail = response.reason or "no reason given"
    text = detail if isinstance(detail, str) else str(detail)
    text = text.strip().rstrip(".")
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
