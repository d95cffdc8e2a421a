"""The counter terminal's service: call a ticket, serve, close with the officer's half, and take
the citizen's half of the dual rating.

Every state change and the event describing it (`ticket.called`, `ticket.recalled`,
`ticket.skipped`, `session.closed`, `rating.citizen`) are committed together, so the sessions
work fully offline and reach the central server through the outbox. Only call_next needs the
server; when it cannot be reached the officer enters the ticket by hand (take_ticket).

One session at a time per counter: the next ticket can be called once the officer closed the
session, and once the citizen rated it or their time (`rating_seconds`) is up; a session left
unrated by a screen that never reported the time out is recorded "not rated" then.

Each call and recall, once committed, is handed to `on_call` as the hall sees it (HallCall,
e.g. HallSender.send, which tells the hall display over the office network).

Thread-safe (one lock per service, held across the call-next request); the methods write to
disk and call_next to the network: never call them from the Kivy main thread.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from common.office_clock import aware_now
from kiosk import events
from kiosk.central_client import CentralClient, CentralError, HeldElsewhere
from kiosk.citizen_id import CitizenID
from kiosk.config import Config
from kiosk.enrolment import CentralLink
from kiosk.hall_calls import CallKind, HallCall, call_key, recall_key
from kiosk.i18n import N_
from kiosk.officers import Officer, Officers
from kiosk.personal_data import PersonalData
from kiosk.ratings import (
    TOP_LEVEL,
    RatingRecorded,
    RatingWindow,
    check_press,
    press_flags,
    rating_data,
    window_of,
)
from kiosk.sessions import (
    CALL_NEXT,
    SHORT_SESSION,
    CounterSession,
    call_data,
    closed_data,
    officer_half,
)
from kiosk.store import Store
from kiosk.store.sessions import (
    CALLED,
    CLOSED,
    NO_RATING,
    NOT_RATED,
    RATED,
    RATING_DUE,
    SERVING,
    Columns,
    NewSession,
    SessionRow,
)
from kiosk.ticket_entry import (
    EnteredTicket,
    TicketRefused,
    ticket_from_label,
    ticket_from_qr,
)
from kiosk.ticket_keys import TicketKeys

log = logging.getLogger(__name__)

# What the officer reads when the server says another counter holds an entered ticket (msgids).
HELD_SERVING = N_("Ticket {label} is being served at counter {counter}. Nothing was changed.")
HELD_SERVED = N_("Ticket {label} was already served at counter {counter}. Nothing was changed.")


class CounterError(Exception):
    """The action cannot be done now; the message is one plain English sentence."""


class CentralUnreachable(CounterError):
    """call-next failed: the server is unreachable, refuses this device, or sync is not set
    up. The officer can still enter the ticket by hand (take_ticket)."""


class SessionOpen(CounterError):
    """A session is still open: the officer closes it (or skips the ticket) first."""

    def __init__(self, session: CounterSession) -> None:
        super().__init__(f"ticket {session.label} is still {session.state}: close it first")
        self.session = session


class RatingPending(CounterError):
    """The citizen may still rate the last session; the next call waits `seconds_left`."""

    def __init__(self, seconds_left: float) -> None:
        super().__init__(f"the citizen may rate for {seconds_left:.0f} s more")
        self.seconds_left = seconds_left


class NoSession(CounterError):
    """No session in the state this action needs."""


class NoRatingWindow(CounterError):
    """No citizen rating is open at this counter (none due, or its time is over)."""


class CounterService:
    """The sessions of this device's counter (`[counter] number`)."""

    def __init__(
        self,
        store: Store,
        config: Config,
        officers: Officers,
        central: CentralLink | CentralClient | None,
        clock: Callable[[], datetime] = aware_now,
        *,
        on_events: Callable[[], None] | None = None,
        on_call: Callable[[HallCall], None] | None = None,
        personal: PersonalData | None = None,
    ) -> None:
        """`central`: this service's own link or client (not the sync worker's); None for a
        counter without a central server. `on_events` is called after events were written
        (e.g. SyncWorker.wake); `on_call` after each call or recall was committed, outside
        the service's lock (it should return at once; what it raises is logged). `personal`
        seals the ID cards scanned at the counter into the outbox (card_scanned)."""
        self._store = store
        self._config = config
        self._officers = officers
        self._central = central
        self._clock = clock
        self._on_events = on_events
        self._on_call = on_call
        self._personal = personal
        self._keys = TicketKeys(config.device.data_dir)
        self._zone = config.office.timezone
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ the officer's side

    def current(self) -> CounterSession | None:
        """The session called or being served at this counter, if any."""
        row = self._store.sessions.latest(self._config.counter.number)
        if row is None or row.state == CLOSED:
            return None
        return CounterSession.from_row(row, self._zone)

    def call_next(self) -> CounterSession | None:
        """Call the next waiting ticket of this counter's fields through the central server;
        None when no ticket waits. Raises CentralUnreachable, SessionOpen, RatingPending,
        NotSignedIn."""
        with self._lock:
            officer = self._officers.require()
            now = self._now()
            self._make_way(now)
            client = self._client()
            counter = self._config.counter
            try:
                called = client.call_next(
                    self._config.office.code, counter.number, officer.id, list(counter.fields)
                )
            except CentralError as error:
                raise CentralUnreachable(str(error)) from None
            if called is None:
                return None
            row = self._new_row(
                session_id=called["session_id"],
                day=date.fromisoformat(called["day"]),
                label=called["label"],
                field_id=called["field_id"],
                ticket_id=called["ticket_id"],
                priority=called["priority"],
                entry=CALL_NEXT,
                officer=officer,
                now=now,
            )
            session, call = self._open(row, now)
        self._tell_hall(call)
        return session

    def take_ticket(
        self, *, qr_payload: str | None = None, label: str | None = None, priority: bool = False
    ) -> CounterSession:
        """Call a ticket entered by hand: its scanned QR (verified with the lobby's key) or
        its typed number. `priority`: the officer marks it a priority ticket (neither a typed
        number nor a ticket QR says so); a ticket the server knows as priority is one anyway.
        Raises TicketRefused, SessionOpen, RatingPending, NotSignedIn."""
        if (qr_payload is None) == (label is None):
            raise ValueError("give either qr_payload or label")
        with self._lock:
            officer = self._officers.require()
            now = self._now()
            self._make_way(now)
            today = self._config.office.day_rule.day_of(now)
            if qr_payload is not None:
                ticket = ticket_from_qr(
                    qr_payload,
                    office=self._config.office.code,
                    today=today,
                    catalogue=self._config.catalogue,
                    keys=self._keys,
                )
            else:
                ticket = ticket_from_label(
                    label or "", today=today, catalogue=self._config.catalogue
                )
            self._refuse_served(ticket)
            called = self._take_at_server(ticket, officer)
            row = self._new_row(
                session_id=str(uuid.uuid4()) if called is None else called["session_id"],
                day=ticket.day,
                label=ticket.label,
                field_id=ticket.field_id,
                ticket_id=None if called is None else called["ticket_id"],
                priority=priority or (called is not None and bool(called["priority"])),
                entry=ticket.entry,
                officer=officer,
                now=now,
            )
            session, call = self._open(row, now)
        self._tell_hall(call)
        return session

    def _take_at_server(self, ticket: EnteredTicket, officer: Officer) -> dict[str, Any] | None:
        """Ask the server to call an entered ticket here, so that one another counter holds
        is refused now, on this screen (TicketRefused), and nothing moves. None when the
        server cannot be asked or does not know the ticket yet: it is taken offline, and its
        `ticket.called` (ticket_id null) is applied when the ticket reaches the server."""
        try:
            client = self._client()
            return client.take(
                self._config.office.code,
                self._config.counter.number,
                officer.id,
                day=ticket.day.isoformat(),
                label=ticket.label,
                field_id=ticket.field_id,
            )
        except HeldElsewhere as held:
            message = HELD_SERVED if held.served else HELD_SERVING
            raise TicketRefused(
                message, sentence=True, label=ticket.label, counter=held.counter
            ) from None
        except (CentralError, CounterError):
            return None

    def recall(self) -> CounterSession:
        """Announce the called ticket again (`ticket.recalled`)."""
        with self._lock:
            self._officers.require()
            row = self._open_row(CALLED)
            now = self._now()
            event = self._event(events.TICKET_RECALLED, call_data(row), now)
            session = self._change(row, {"recalls": row.recalls + 1}, [event])
        self._tell_hall(_hall_call(row, "recall", recall_key(event["id"]), event))
        return session

    def start_serving(self) -> CounterSession:
        """The citizen came to the desk."""
        with self._lock:
            self._officers.require()
            row = self._open_row(CALLED)
            return self._change(row, {"state": SERVING, "started_at": self._now()}, [])

    def skip(self) -> CounterSession:
        """The citizen did not come ("Bỏ qua"): the session closes with the no-show outcome
        (`ticket.skipped`, `session.closed`) and is not rated."""
        with self._lock:
            return self._close(self._config.rating.no_show.id, False, {}, None)

    def close_session(
        self,
        outcome_id: str,
        same_day_result: bool,
        officer_rating: dict[str, int],
        dossier_code: str = "",
    ) -> CounterSession:
        """Close with the officer's half: an outcome of rating.toml, "trả kết quả trong ngày",
        and a level (1 = best) of the officer scale for each officer criterion
        ({criterion id: level}; may be {} for the no-show outcome), with the dossier code as
        [counter] dossier_code asks. The citizen's rating is then due, unless the outcome is
        the no-show. Raises InvalidOfficerHalf, DossierCodeRefused, NoSession."""
        code = self._config.counter.dossier_code.check(dossier_code)
        with self._lock:
            return self._close(outcome_id, same_day_result, officer_rating, code)

    def identity_of(self, session: CounterSession) -> dict[str, Any] | None:
        """The identity the citizen gave at the lobby for this session's ticket (personal
        data: for the officer's screen, never stored here), or None: none given, not
        reachable, or no longer kept by the server."""
        try:
            client = self._client()
            return client.identity(
                self._config.office.code,
                self._config.counter.number,
                session.day.isoformat(),
                session.label,
            )
        except (CentralError, CounterError):
            return None

    def card_scanned(self, identity: CitizenID) -> str:
        """The citizen's ID card scanned at this counter during the open session: a sealed
        `citizen.identified` (source "counter") into the outbox, for the officer's desk page;
        the server keeps it only while that session is open, and it expires unsent at the
        office day's end. Returns the event's id (the only thing logged). Raises NoSession."""
        if self._personal is None:
            raise ValueError("this counter service was made without personal data")
        with self._lock:
            row = self._open_row(CALLED, SERVING)
            data = {
                "day": row.day.isoformat(),
                "label": row.label,
                "ticket_id": row.ticket_id,
                "session_id": row.id,
                "counter": row.counter,
                "source": "counter",
                "identity": identity.as_dict(),
            }
            event = self._event(events.CITIZEN_IDENTIFIED, data, self._now())
            self._personal.add_event(event)
        log.info("ID card read at the counter: event %s", event["id"])
        self._wake()
        return event["id"]

    def desk_pairing(self) -> dict[str, Any]:
        """A code pairing the officer's computer with this counter's desk page: {"code",
        "expires_at"} (CentralClient.desk_pairing) and "desk_url", the page to type it on.
        Raises CentralError (the server refused or cannot be reached), CentralUnreachable (no
        central server is set up)."""
        client = self._client()
        pairing = client.desk_pairing(self._config.office.code, self._config.counter.number)
        return {**pairing, "desk_url": client.base_url.rstrip("/") + "/desk"}

    # ------------------------------------------------------------------ the citizen's side

    def open_rating(self, shown_at: datetime | None = None) -> RatingWindow:
        """The rating screen appeared (at `shown_at`, default now): the citizen's time starts.
        Opening it again returns the same window, its time unchanged. Raises NoRatingWindow."""
        with self._lock:
            row = self._rating_row()
            if row.rating_opened_at is not None:
                opened_at = row.rating_opened_at.astimezone(self._zone)
                return window_of(row, opened_at, self._config.rating, self._config.counter)
            opened_at = self._aware(shown_at) if shown_at is not None else self._now()
            updated = self._store.sessions.update(
                row.id,
                expect={"rating_opened_at": None, "rating_ended_at": None},
                changes={"rating_opened_at": opened_at},
            )
            if updated is None:
                raise NoRatingWindow("the rating of this session has just ended")
            return window_of(updated, opened_at, self._config.rating, self._config.counter)

    def rating_window(self) -> RatingWindow | None:
        """The rating window open now, if any (e.g. to show it again after a restart)."""
        with self._lock:
            try:
                row = self._rating_row()
            except NoRatingWindow:
                return None
            if row.rating_opened_at is None:
                return None
            opened_at = row.rating_opened_at.astimezone(self._zone)
            return window_of(row, opened_at, self._config.rating, self._config.counter)

    def record_citizen_rating(
        self,
        level: int,
        reasons: list[str] | tuple[str, ...] = (),
        pressed_at: datetime | None = None,
    ) -> RatingRecorded:
        """The citizen's rating (level 1 = best; reasons only for a negative level), pressed
        at `pressed_at` (default now). The first counts; any later press before the window
        ends is kept and flagged "second_press". Raises NoRatingWindow, InvalidRating."""
        reasons = list(reasons)
        check_press(level, reasons, self._config.rating)
        with self._lock:
            row = self._rating_row()
            opened_at = row.rating_opened_at
            if opened_at is None:
                raise NoRatingWindow("the rating screen has not been shown (open_rating)")
            pressed_at = self._aware(pressed_at) if pressed_at is not None else self._now()
            counter = self._config.counter
            second = row.rated
            top_before = 0
            if not second and level == TOP_LEVEL:
                top_before = self._store.sessions.count_rated(
                    counter=row.counter,
                    level=TOP_LEVEL,
                    since=pressed_at - timedelta(minutes=counter.top_burst_minutes),
                )
            flags = press_flags(
                session_flags=row.session_flags,
                opened_at=opened_at.astimezone(self._zone),
                pressed_at=pressed_at,
                counter=counter,
                second=second,
                top_ratings_before=top_before,
                level=level,
            )
            scale = self._config.rating.citizen_scale.levels
            data = rating_data(
                row,
                scale=scale,
                level=level,
                reasons=reasons,
                rated_at=pressed_at,
                flags=flags,
                zone=self._zone,
            )
            event = self._event(events.RATING_CITIZEN, data, self._now())
            if second:
                self._store.sessions.add_extra_press(
                    row.id,
                    level=level,
                    reasons=reasons,
                    pressed_at=pressed_at,
                    flags=flags,
                    event=event,
                )
            else:
                changes = {
                    "rating": RATED,
                    "citizen_scale": scale,
                    "citizen_level": level,
                    "citizen_reasons": reasons,
                    "rated_at": pressed_at,
                    "rating_flags": flags,
                }
                self._update(row, {"rating": RATING_DUE, "rating_ended_at": None}, changes, [event])
            self._wake()
            return RatingRecorded(counted=not second, level=level, flags=tuple(flags))

    def rating_timed_out(self) -> bool:
        """The rating screen is leaving: the citizen's time is up. Records "not rated" when
        no rating came (returns True), then ends the window: later presses are refused."""
        with self._lock:
            try:
                row = self._rating_row()
            except NoRatingWindow:
                return False
            return self._end_rating(row)

    # ------------------------------------------------------------------ internals

    def _close(
        self,
        outcome_id: str,
        same_day_result: bool,
        officer_rating: dict[str, int],
        dossier_code: str | None,
    ) -> CounterSession:
        self._officers.require()
        row = self._open_row(CALLED, SERVING)
        half = officer_half(self._config.rating, outcome_id, same_day_result, officer_rating)
        now = self._now()
        short = now - row.called_at < timedelta(seconds=self._config.counter.min_session_seconds)
        flags = [SHORT_SESSION] if short and not half.outcome.no_show else []
        changes = {
            "state": CLOSED,
            "closed_at": now,
            "outcome": half.outcome.id,
            "same_day_result": half.same_day_result,
            "officer_rating": half.stored_rating,
            "session_flags": flags,
            "rating": NO_RATING if half.outcome.no_show else RATING_DUE,
        }
        new_events = []
        if half.outcome.no_show and row.state == CALLED:
            new_events.append(self._event(events.TICKET_SKIPPED, call_data(row), now))
        data = closed_data(
            row, half, closed_at=now, flags=flags, zone=self._zone, dossier_code=dossier_code
        )
        new_events.append(self._event(events.SESSION_CLOSED, data, now))
        return self._change(row, changes, new_events)

    def _make_way(self, now: datetime) -> None:
        """Before a call: no open session, and the last one's rating over (recorded "not
        rated" once its time is up)."""
        row = self._store.sessions.latest(self._config.counter.number)
        if row is None:
            return
        if row.state != CLOSED:
            raise SessionOpen(CounterSession.from_row(row, self._zone))
        if not row.rating_open:
            return
        if row.rating == RATING_DUE:
            left = row.rating_deadline(self._config.counter.rating_seconds) - now
            if left > timedelta(0):
                raise RatingPending(left.total_seconds())
        self._end_rating(row)

    def _end_rating(self, row: SessionRow) -> bool:
        now = self._now()
        if row.rated:
            self._update(
                row, {"rating": RATED, "rating_ended_at": None}, {"rating_ended_at": now}, []
            )
            return False
        flags = [SHORT_SESSION] if SHORT_SESSION in row.session_flags else []
        data = rating_data(
            row,
            scale=self._config.rating.citizen_scale.levels,
            level=None,
            reasons=[],
            rated_at=None,
            flags=flags,
            zone=self._zone,
        )
        self._update(
            row,
            {"rating": RATING_DUE, "rating_ended_at": None},
            {"rating": NOT_RATED, "rating_ended_at": now, "rating_flags": flags},
            [self._event(events.RATING_CITIZEN, data, now)],
        )
        self._wake()
        return True

    def _refuse_served(self, ticket: EnteredTicket) -> None:
        """A ticket already served here today is not taken again (a no-show may come back)."""
        no_show = self._config.rating.no_show.id
        for row in self._store.sessions.of_day(ticket.day, label=ticket.label):
            if row.served(no_show):
                when = row.closed_at.astimezone(self._zone)
                raise TicketRefused(
                    N_("ticket {label} was already served at counter {counter} at {time}"),
                    label=ticket.label,
                    counter=row.counter,
                    time=f"{when:%H:%M}",
                )

    def _open_row(self, *states: str) -> SessionRow:
        row = self._store.sessions.latest(self._config.counter.number)
        if row is None or row.state not in states:
            raise NoSession(f"no ticket is {' or '.join(states)} at this counter")
        return row

    def _rating_row(self) -> SessionRow:
        row = self._store.sessions.latest(self._config.counter.number)
        if row is None or not row.rating_open:
            raise NoRatingWindow("no rating is open at this counter")
        return row

    def _new_row(
        self,
        *,
        session_id: str,
        day: date,
        label: str,
        field_id: str,
        ticket_id: str | None,
        priority: bool,
        entry: str,
        officer: Officer,
        now: datetime,
    ) -> NewSession:
        return NewSession(
            id=session_id,
            office=self._config.office.code,
            day=day,
            label=label,
            ticket_id=ticket_id,
            field_id=field_id,
            priority=priority,
            counter=self._config.counter.number,
            officer_id=officer.id,
            entry=entry,
            state=CALLED,
            called_at=now,
        )

    def _open(self, session: NewSession, now: datetime) -> tuple[CounterSession, HallCall]:
        event = self._event(events.TICKET_CALLED, call_data(session), now)
        created = self._store.sessions.insert(session, event)
        self._wake()
        call = _hall_call(created, "call", call_key(created.id), event)
        return CounterSession.from_row(created, self._zone), call

    def _tell_hall(self, call: HallCall) -> None:
        if self._on_call is None:
            return
        try:
            self._on_call(call)
        except Exception:  # the call is committed: the officer's action succeeded
            log.exception("the hall could not be told of call %s", call.key)

    def _change(
        self, row: SessionRow, changes: Columns, new_events: list[events.Event]
    ) -> CounterSession:
        updated = self._update(row, {"state": row.state}, changes, new_events)
        if new_events:
            self._wake()
        return CounterSession.from_row(updated, self._zone)

    def _update(
        self, row: SessionRow, expect: Columns, changes: Columns, new_events: list[events.Event]
    ) -> SessionRow:
        updated = self._store.sessions.update(
            row.id, expect=expect, changes=changes, events=new_events
        )
        if updated is None:  # another process changed it between our read and this write
            raise NoSession(f"the session of ticket {row.label} changed meanwhile; try again")
        return updated

    def _client(self) -> CentralClient:
        if isinstance(self._central, CentralLink):
            client = self._central.current()
            if client is None:
                raise CentralUnreachable(self._central.problem)
            return client
        if self._central is None:
            raise CentralUnreachable("this counter has no central server")
        return self._central

    def _event(self, type: str, data: dict[str, object], now: datetime) -> events.Event:
        return events.new_event(
            type,
            data,
            office=self._config.office.code,
            device_id=self._config.device.id,
            occurred_at=now,
        )

    def _wake(self) -> None:
        if self._on_events is not None:
            self._on_events()

    def _aware(self, moment_: datetime) -> datetime:
        if moment_.tzinfo is None:
            raise ValueError("times must be aware datetimes")
        return moment_.astimezone(self._zone)

    def _now(self) -> datetime:
        return self._aware(self._clock())


def _hall_call(session: NewSession, kind: CallKind, key: str, event: events.Event) -> HallCall:
    """The call as the hall sees it, timed as its event (the server's feed times it so too)."""
    return HallCall(
        key=key,
        kind=kind,
        office=session.office,
        day=session.day,
        label=session.label,
        counter=session.counter,
        field_id=session.field_id,
        occurred_at=datetime.fromisoformat(event["occurred_at"]),
    )
