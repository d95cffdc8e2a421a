"""Request and response bodies of the HTTP API, as published in /openapi.json."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from central.envelope import DATA_MODELS, SCHEMA
from central.values import (
    DEVICE_ID_PATTERN,
    OFFICE_PATTERN,
    Day,
    DeviceId,
    EnrolmentCode,
    FieldId,
    Label,
    OfficerId,
    Version,
)

MAX_BATCH = 500

ENVELOPE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An event envelope; each one is accepted or rejected on its own.",
    "required": ["id", "type", "occurred_at", "office", "device_id", "schema", "data"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "enum": sorted(DATA_MODELS)},
        "occurred_at": {"type": "string", "format": "date-time"},
        "office": {"type": "string", "pattern": OFFICE_PATTERN},
        "device_id": {"type": "string", "pattern": DEVICE_ID_PATTERN},
        "schema": {"type": "integer", "enum": [SCHEMA]},
        "data": {"type": "object"},
    },
}


class ErrorBody(BaseModel):
    detail: str


class EnrollDevice(BaseModel):
    id: DeviceId | None = None
    role: Literal["lobby", "counter", "display"]
    version: Version | None = None


class EnrollRequest(BaseModel):
    code: EnrolmentCode
    device: EnrollDevice


class EnrollResponse(BaseModel):
    device_id: str
    token: str
    office: str
    role: str
    counter: int | None


class EventsRequest(BaseModel):
    # Items are checked one by one (a bad one is rejected, the others go on): any JSON here.
    events: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_BATCH),
        WithJsonSchema(
            {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": ENVELOPE_JSON_SCHEMA}
        ),
    ]


class EventResultBody(BaseModel):
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    flags: list[str] | None = None


class EventsResponse(BaseModel):
    results: list[EventResultBody]


class CallNextRequest(BaseModel):
    officer_id: OfficerId
    fields: Annotated[list[FieldId], Field(min_length=1, max_length=50)]


class TakeRequest(BaseModel):
    officer_id: OfficerId
    day: Day
    label: Label
    field_id: FieldId | None = None


class HeldElsewhereBody(BaseModel):
    detail: str
    counter: int
    served: bool


class CalledTicketBody(BaseModel):
    ticket_id: str
    label: str
    field_id: str
    priority: bool
    issued_at: datetime
    day: date
    session_id: str


class IdentityBody(BaseModel):
    """Personal data (the citizen.identified identity as the lobby read it)."""

    identity: dict[str, Any]


class FieldQueueBody(BaseModel):
    field_id: str
    waiting: int
    priority_waiting: int
    estimated_wait_minutes: float | None
    next_label: str | None


class RecentCallBody(BaseModel):
    label: str
    field_id: str | None
    counter: int | None
    called_at: datetime


class QueueBody(BaseModel):
    office: str
    generated_at: datetime
    fields: list[FieldQueueBody]
    recently_called: list[RecentCallBody]


class LevelBody(BaseModel):
    level: int
    label: str
    count: int
    percent: float


class TallyBody(BaseModel):
    ballots: int
    not_rated: int
    levels: list[LevelBody]
    satisfaction_rate: float | None


class ReportRowBody(TallyBody):
    key: str


class ReportBody(BaseModel):
    office: str
    from_: date = Field(alias="from")
    to: date
    by: Literal["officer", "field", "counter", "day"]
    rows: list[ReportRowBody]
    total: TallyBody


class CallBody(BaseModel):
    """One call or recall of the hall feed (kiosk.hall_calls.HallCall.from_json reads it)."""

    seq: int
    key: str
    kind: Literal["call", "recall"]
    day: date
    label: str
    counter: int
    field_id: str | None
    occurred_at: datetime


class CallsBody(BaseModel):
    calls: list[CallBody]
    last_seq: int
    server_time: datetime


class HallKeyBody(BaseModel):
    key_id: str
    key: str = Field(description="base64url (no padding) of the office's 32-byte hall key")


class HealthBody(BaseModel):
    status: Literal["ok"]
    version: str
    time: datetime
    database: Literal["sqlite", "postgresql"]
