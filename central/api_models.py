"""Request and response bodies of the HTTP API, as published in /openapi.json."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)

from central.envelope import DATA_MODELS, SCHEMA
from central.values import (
    DEVICE_ID_PATTERN,
    OFFICE_PATTERN,
    STORABLE,
    Count,
    Day,
    DeviceId,
    EnrolmentCode,
    FieldId,
    Label,
    OfficerId,
    Timestamp,
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


class ConsentTallyBody(BaseModel):
    visits: int = Field(description="tickets issued after a consent answer")
    yes: int
    no: int
    withdrawn: int
    consented: int = Field(description="answered yes, not withdrawn")
    consent_rate: float | None = Field(description="consented / visits × 100, one decimal")
    without_ticket: int = Field(description="answers whose visit ended without a ticket")


class ConsentRowBody(ConsentTallyBody):
    key: str


class ConsentFiguresBody(BaseModel):
    rows: list[ConsentRowBody] = Field(description="by day or field; empty by counter, officer")
    total: ConsentTallyBody


class ReportBody(BaseModel):
    office: str
    from_: date = Field(alias="from")
    to: date
    by: Literal["officer", "field", "counter", "day"]
    rows: list[ReportRowBody]
    total: TallyBody
    consent: ConsentFiguresBody


class DurationsBody(BaseModel):
    count: int
    median: float | None = Field(description="seconds, one decimal; null without durations")
    p90: float | None = Field(description="90th percentile (nearest rank), seconds")
    max: float | None


class ServiceTallyBody(BaseModel):
    issued: int
    called: int
    served: int = Field(description="closed sessions")
    no_shows: int = Field(description="skipped and never served")
    waiting_at_close: int = Field(description="never called nor skipped")
    wait: DurationsBody = Field(description="issued → first call")
    service: DurationsBody = Field(description="call → close of each closed session")
    same_day_results: int
    same_day_rate: float | None = Field(description="same_day_results / served × 100")


class SatisfactionShareBody(BaseModel):
    ballots: int = Field(description="counted ratings with a level (as the satisfaction report)")
    satisfied: int = Field(description="Rất hài lòng + Hài lòng")
    satisfaction_rate: float | None = Field(description="satisfied / ballots × 100")


class ConsentShareBody(BaseModel):
    visits: int = Field(description="tickets issued after a consent answer")
    consented: int = Field(description="answered yes and not withdrawn")
    consent_rate: float | None = Field(description="consented / visits × 100")


class ServiceTotalBody(ServiceTallyBody):
    satisfaction: SatisfactionShareBody
    consent: ConsentShareBody


class ServiceRowBody(ServiceTallyBody):
    key: str
    satisfaction: SatisfactionShareBody
    consent: ConsentShareBody | None = Field(
        description="null by counter and officer: consent is asked at the lobby (total only)"
    )


class ArrivalBody(BaseModel):
    hour: int = Field(description="hour of issue, in the office's time zone")
    field_id: str
    tickets: int


class ServiceReportBody(BaseModel):
    office: str
    from_: date = Field(alias="from")
    to: date
    by: Literal["day", "field", "counter", "officer", "hour"]
    rows: list[ServiceRowBody]
    total: ServiceTotalBody
    arrivals: list[ArrivalBody]


class ArrivalsBody(BaseModel):
    office: str
    from_: date = Field(alias="from")
    to: date
    arrivals: list[ArrivalBody]


class CityFiguresBody(BaseModel):
    service: ServiceTallyBody
    satisfaction: TallyBody
    consent: ConsentTallyBody


class OfficeLineBody(CityFiguresBody):
    office: str
    name: str | None = Field(description="kiosk-central office --name; null if not set")
    satisfaction_rank: int | None = Field(
        description="1 = highest satisfaction_rate; equal rates share a rank; null: no ballot"
    )
    wait_rank: int | None = Field(
        description="1 = shortest wait median; equal medians share a rank; null: none called"
    )


class CityReportBody(BaseModel):
    city: str
    from_: date = Field(alias="from")
    to: date
    offices: list[OfficeLineBody] = Field(description="every office of the city, by code")
    total: CityFiguresBody = Field(description="the same figures over all the city's tickets")


class ConsentAnswerBody(BaseModel):
    consent_id: str
    answered_at: datetime | None = Field(description="null: only the withdrawal has arrived")
    device_id: str
    language: Literal["vi", "en"] | None
    text_version: str | None = Field(description="SHA-256 of the consent text shown")
    answer: Literal["yes", "no"] | None
    withdrawn: bool
    withdrawn_at: datetime | None
    ticket_id: str | None
    label: str | None
    field_id: str | None


class ConsentLogBody(BaseModel):
    office: str
    day: date
    consents: list[ConsentAnswerBody]


class SessionRecordBody(BaseModel):
    """One closed session of the per-session export (central.session_export)."""

    day: date
    label: str
    field_id: str
    counter: int
    officer_id: str
    called_at: datetime
    closed_at: datetime
    outcome: str
    same_day_result: bool
    officer_rating_scale: int | None
    officer_rating_level: int | None
    citizen_rated: bool | None
    citizen_rating_scale: int | None
    citizen_rating_level: int | None
    dossier_code: str | None


class SessionsBody(BaseModel):
    office: str
    from_: date = Field(alias="from")
    to: date
    sessions: list[SessionRecordBody]


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


# ----------------------------------------------------------------- device health and the fleet

PrinterStateText = Literal[
    "ready", "paper_near_end", "paper_out", "cover_open", "offline", "disconnected", "unknown"
]
ScannerStateText = Literal["connected", "disconnected", "keyboard"]
StorageText = Literal["ok", "read_only", "full", "database_error"]
SyncStateText = Literal["not_configured", "online", "offline", "unauthorized"]
Bytes = Annotated[StrictInt, Field(ge=0, le=2**62)]
TEN_YEARS_SECONDS = 10 * 366 * 24 * 3600.0
ErrorMessage = Annotated[StrictStr, StringConstraints(min_length=1, max_length=300), STORABLE]


class _Report(BaseModel):
    # Keys a newer device sends that this server does not know are left out (not stored), so a
    # fleet of mixed versions keeps reporting.
    model_config = ConfigDict(extra="ignore")


class OutboxHealthBody(_Report):
    pending: Count
    quarantined: Count
    oldest_at: Timestamp | None


class SyncHealthBody(_Report):
    state: SyncStateText
    last_success_at: Timestamp | None


class DiskHealthBody(_Report):
    free_bytes: Bytes
    total_bytes: Bytes


class ErrorNoteBody(_Report):
    message: ErrorMessage
    at: Timestamp


class HealthReport(_Report):
    """A device's health (kiosk.device_health.DeviceHealth.as_json): the device, office and role
    must be the token's."""

    device_id: DeviceId
    role: Literal["lobby", "counter", "display"]
    office: Annotated[StrictStr, StringConstraints(pattern=OFFICE_PATTERN)]
    version: Version
    observed_at: Timestamp
    started_at: Timestamp
    uptime_seconds: Annotated[StrictFloat | StrictInt, Field(ge=0, le=TEN_YEARS_SECONDS)]
    printer: PrinterStateText | None
    scanner: ScannerStateText | None
    outbox: OutboxHealthBody
    sync: SyncHealthBody
    clock_offset_seconds: (
        Annotated[StrictFloat | StrictInt, Field(ge=-TEN_YEARS_SECONDS, le=TEN_YEARS_SECONDS)]
        | None
    )
    disk: DiskHealthBody | None
    storage: StorageText
    last_error: ErrorNoteBody | None
    recent_errors: Annotated[list[ErrorNoteBody], Field(max_length=10)]


class HealthStoredBody(BaseModel):
    stored: bool = Field(description="false: a newer report of this device is already kept")
    last_seen_at: datetime


class ProblemBody(BaseModel):
    code: str
    vi: str
    en: str


class FleetDeviceBody(BaseModel):
    office: str
    device_id: str
    role: str
    counter: int | None
    version: str | None
    last_seen_at: datetime | None
    silent: bool
    problems: list[ProblemBody]
    health: dict[str, Any] | None = Field(description="the device's last report, as it sent it")


class FleetBody(BaseModel):
    generated_at: datetime
    office: str | None = Field(description="null: every office")
    silent_after_seconds: float
    devices: list[FleetDeviceBody]
