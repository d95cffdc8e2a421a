"""Checking one event envelope from a device: accepted facts, or a rejection with a reason.

The checks follow docs/central-api.md: a valid envelope, a known type, schema 1, the token's
office and device, then the data of its type. Extra data keys are allowed and kept. The identity
of a `citizen.identified` event is split off: it is never stored with the event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from central.enrolment import Principal
from central.errortext import first_problem
from central.jsonsafe import json_problem, text_problem
from central.values import (
    Count,
    Counter,
    Day,
    DossierCode,
    FieldId,
    Flag,
    Flags,
    Label,
    OfficerId,
    Text,
    Timestamp,
)

SCHEMA = 1
FUTURE_TOLERANCE = timedelta(minutes=5)
FUTURE = "future"


class EventData(BaseModel):
    """The required keys of one event type; other keys are allowed (and kept in the event)."""

    model_config = ConfigDict(extra="ignore")


class TicketIssued(EventData):
    ticket_id: UUID
    day: Day
    field_id: FieldId
    number: Count
    label: Label
    priority: StrictBool
    waiting_ahead: Count
    issued_at: Timestamp
    # Where waiting_ahead came from: the server's queue or the lobby's own count (absent from
    # lobbies older than this key).
    waiting_source: Literal["server", "local"] | None = None


class TicketPrinted(EventData):
    ticket_id: UUID
    day: Day
    field_id: FieldId
    label: Label
    attempts: Count


class TicketCall(EventData):
    """`ticket.called`, `ticket.recalled` and `ticket.skipped`; no ticket id for manual entry."""

    day: Day
    label: Label
    counter: Counter
    officer_id: OfficerId
    session_id: UUID
    ticket_id: UUID | None
    field_id: FieldId | None


class CardData(BaseModel):
    """The card's fields as the devices send them (kiosk.citizen_id.CitizenID.as_dict): nothing
    else is taken, so no other personal data can ride in with a card."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[StrictStr, StringConstraints(pattern=r"^[0-9]{12}$")]
    old_id: Annotated[StrictStr, StringConstraints(pattern=r"^([0-9]{9}|[0-9]{12})?$")] = ""
    name: Text
    birth: Annotated[StrictStr, StringConstraints(pattern=r"^[0-9]{4}(-[0-9]{2}){0,2}$")] = ""
    sex: Literal["M", "F", ""] = ""
    address: Annotated[StrictStr, StringConstraints(max_length=300)] = ""
    issued: Annotated[StrictStr, StringConstraints(pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")] = ""
    warnings: Annotated[list[Flag], Field(max_length=20)] = []


class CitizenIdentified(EventData):
    """The card read at the lobby, or (with `counter`, `session_id`, source "counter") by the
    officer at the counter serving the ticket. No key but these: the event is kept without its
    `identity`, and another key would keep personal data in clear."""

    model_config = ConfigDict(extra="forbid")

    day: Day
    label: Label
    ticket_id: UUID | None
    identity: CardData
    source: Literal["lobby", "counter"] = "lobby"
    counter: Counter | None = None
    session_id: UUID | None = None

    @model_validator(mode="after")
    def _counter_reads_name_their_counter(self) -> CitizenIdentified:
        if (self.source == "counter") != (self.counter is not None):
            raise ValueError("a card read at a counter (source counter) names its counter")
        return self


class OfficerRating(BaseModel):
    scale: Annotated[StrictInt, Field(ge=3, le=5)]
    level: Annotated[StrictInt, Field(ge=1, le=5)]

    @model_validator(mode="after")
    def _level_on_scale(self) -> OfficerRating:
        if self.level > self.scale:
            raise ValueError("level is beyond the scale")
        return self


class SessionClosed(EventData):
    session_id: UUID
    day: Day
    label: Label
    field_id: FieldId
    counter: Counter
    officer_id: OfficerId
    called_at: Timestamp
    closed_at: Timestamp
    outcome: Text
    same_day_result: StrictBool
    officer_rating: OfficerRating | None
    flags: Flags
    dossier_code: DossierCode | None = None  # left out by devices before it was carried


class CitizenRating(EventData):
    session_id: UUID
    day: Day
    counter: Counter
    officer_id: OfficerId
    field_id: FieldId
    rated: StrictBool
    scale: Annotated[StrictInt, Field(ge=3, le=5)]
    level: Annotated[StrictInt, Field(ge=1, le=5)] | None
    reasons: Annotated[list[Text], Field(max_length=20)]
    rated_at: Timestamp | None
    flags: Flags

    @model_validator(mode="after")
    def _level_iff_rated(self) -> CitizenRating:
        if self.scale not in (3, 5):
            raise ValueError("scale must be 3 or 5")
        if self.rated != (self.level is not None):
            raise ValueError("level must be given if and only if rated is true")
        if self.level is not None and self.level > self.scale:
            raise ValueError("level is beyond the scale")
        return self


TextVersion = Annotated[StrictStr, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ConsentLink(EventData):
    """What both consent events carry; nothing else is accepted (they are kept as proof, and
    must never hold card data)."""

    model_config = ConfigDict(extra="forbid")

    consent_id: UUID
    day: Day
    ticket_id: UUID | None
    label: Label | None


class ConsentAnswered(ConsentLink):
    answer: Literal["yes", "no"]
    answered_at: Timestamp
    language: Literal["vi", "en"]
    text_version: TextVersion
    field_id: FieldId


class ConsentWithdrawn(ConsentLink):
    withdrawn_at: Timestamp


DATA_MODELS: dict[str, type[EventData]] = {
    "ticket.issued": TicketIssued,
    "ticket.printed": TicketPrinted,
    "ticket.called": TicketCall,
    "ticket.recalled": TicketCall,
    "ticket.skipped": TicketCall,
    "citizen.identified": CitizenIdentified,
    "session.closed": SessionClosed,
    "rating.citizen": CitizenRating,
    "consent.answered": ConsentAnswered,
    "consent.withdrawn": ConsentWithdrawn,
}


# Who may say what: the event types each device role may send (docs/central-api.md). The lobby
# is a public touch screen: it can never call, skip or rate; a display sends nothing.
ROLE_EVENT_TYPES: dict[str, frozenset[str]] = {
    "lobby": frozenset(
        {
            "ticket.issued",
            "ticket.printed",
            "citizen.identified",
            "consent.answered",
            "consent.withdrawn",
        }
    ),
    "counter": frozenset(
        {
            "citizen.identified",  # the card scanned by the officer, for the desk page
            "ticket.called",
            "ticket.recalled",
            "ticket.skipped",
            "session.closed",
            "rating.citizen",
        }
    ),
    "display": frozenset(),
}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    type: Annotated[StrictStr, StringConstraints(min_length=1, max_length=64)]
    occurred_at: Timestamp
    office: Annotated[StrictStr, StringConstraints(max_length=64)]
    device_id: Annotated[StrictStr, StringConstraints(max_length=64)]
    schema_version: StrictInt = Field(alias="schema")
    data: dict[str, Any]


@dataclass(frozen=True)
class CheckedEvent:
    id: str
    type: str
    occurred_at: datetime
    office: str
    device_id: str
    received_at: datetime
    stored_data: dict[str, Any]
    facts: EventData
    flags: list[str]


@dataclass(frozen=True)
class Rejection:
    reason: str


def check_event(raw: Any, principal: Principal, now: datetime) -> CheckedEvent | Rejection:
    """Check one element of a batch from `principal` at server time `now`."""
    if not isinstance(raw, dict):
        return Rejection("not a valid envelope: expected a JSON object")
    problem = json_problem(raw)
    if problem is not None:
        return Rejection(f"not a valid envelope: {problem}")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as error:
        return Rejection(f"not a valid envelope: {_problem(error)}")
    model = DATA_MODELS.get(envelope.type)
    if model is None:
        return Rejection(f"unknown event type {_quote(envelope.type)}")
    if envelope.schema_version != SCHEMA:
        return Rejection(f"schema {envelope.schema_version} is not supported (only {SCHEMA})")
    if envelope.office != principal.office:
        return Rejection(f"office {_quote(envelope.office)} is not the token's office")
    if envelope.device_id != principal.device_id:
        return Rejection(f"device_id {_quote(envelope.device_id)} is not the token's device")
    if envelope.type not in ROLE_EVENT_TYPES.get(principal.role, frozenset()):
        return Rejection(f"a {principal.role} device may not send {envelope.type}")
    try:
        facts = model.model_validate(envelope.data)
    except ValidationError as error:
        return Rejection(f"data does not match {envelope.type}: {_problem(error)}")
    counter = getattr(facts, "counter", None)
    if principal.role == "counter" and isinstance(facts, CitizenIdentified) and counter is None:
        return Rejection("a counter's citizen.identified must have source counter and its counter")
    if principal.role != "counter" and counter is not None:
        return Rejection(f"a {principal.role} device may not send data.counter")
    if counter is not None and counter != principal.counter:
        return Rejection(f"data.counter {counter} is not this device's counter")
    stored = {key: value for key, value in envelope.data.items() if key != "identity"}
    flags = [FUTURE] if envelope.occurred_at > now + FUTURE_TOLERANCE else []
    return CheckedEvent(
        id=str(envelope.id),
        type=envelope.type,
        occurred_at=envelope.occurred_at,
        office=envelope.office,
        device_id=envelope.device_id,
        received_at=now,
        stored_data=stored,
        facts=facts,
        flags=flags,
    )


def echo_id(raw: Any) -> str | None:
    """The id as sent, if it is short clean text (the result must be valid JSON)."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("id")
    if isinstance(value, str) and len(value) <= 64 and text_problem(value) is None:
        return value
    return None


def _problem(error: ValidationError) -> str:
    return first_problem(error.errors(include_url=False, include_input=False))


def _quote(text: str) -> str:
    return json.dumps(text[:40])
