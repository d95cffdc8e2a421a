"""The counter terminal: kiosk.toml [counter], and rating.toml (the dual rating's questions,
scales, reasons and outcomes).

[counter] fields name fields of the catalogue, so it is read after catalogue.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.config.catalogue import FIELD_ID, Catalogue
from kiosk.config.reader import ConfigError, Document, Table, toml_repr
from kiosk.dossier_codes import MAX_CHARS, MODES, DossierCodePolicy, normalise

KEYPAD_ALLOWED = 'must be "" (no rating keypad) or the port of the keypad, e.g. "/dev/ttyACM1"'

_CHOICE_ID = re.compile(r"[a-z0-9-]{1,64}")


@dataclass(frozen=True)
class CounterConfig:
    """The counter terminal. `fields` is never empty here: [] in kiosk.toml means every field
    of the catalogue, and is resolved to their ids."""

    number: int
    fields: tuple[str, ...]
    officer_idle_signout: int  # minutes
    signin_lock_minutes: int
    rating_seconds: int
    instant_press_ms: int
    min_session_seconds: int
    top_burst_count: int
    top_burst_minutes: int
    keypad_url: str  # "" = no physical rating keypad
    dossier_code: DossierCodePolicy


@dataclass(frozen=True)
class Choice:
    """One item of a configured list (a reason, an outcome, a criterion): its id travels in
    events, its words are shown."""

    id: str
    vi: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.vi


@dataclass(frozen=True)
class Outcome(Choice):
    no_show: bool


@dataclass(frozen=True)
class Scale:
    """A rating scale: level 1 is the best; `negative` levels ask the citizen for reasons."""

    levels: int
    labels_vi: tuple[str, ...]
    labels_en: tuple[str, ...]
    negative: frozenset[int]

    def label(self, level: int, language: str) -> str:
        labels = self.labels_en if language == "en" else self.labels_vi
        return labels[level - 1]


@dataclass(frozen=True)
class RatingConfig:
    citizen_scale: Scale
    question_vi: str
    question_en: str
    reasons: tuple[Choice, ...]
    outcomes: tuple[Outcome, ...]
    officer_scale: Scale
    officer_criteria: tuple[Choice, ...]

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_vi

    def outcome(self, outcome_id: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    @property
    def no_show(self) -> Outcome:
        """The one outcome meaning the citizen did not come (checked at load time)."""
        return next(o for o in self.outcomes if o.no_show)


def parse_counter(t: Table, catalogue: Catalogue) -> CounterConfig:
    number = t.integer("number", 1, 999, note=" (the counter number given at provisioning)")
    known = [f.id for f in catalogue.fields]
    fields_allowed = (
        "must be a list of field ids of catalogue.toml ([] = every field), each once: "
        + ", ".join(toml_repr(f) for f in known)
    )
    fields = t.text_list("fields", fields_allowed, pattern=FIELD_ID)
    if len(set(fields)) != len(fields) or any(f not in known for f in fields):
        t.fail("fields", fields_allowed)
    idle = t.integer("officer_idle_signout", 1, 720, "minutes")
    lock = t.integer("signin_lock_minutes", 1, 1440, "minutes")
    rating_seconds = t.integer("rating_seconds", 5, 600, "seconds")
    instant = t.integer("instant_press_ms", 0, 5000, "milliseconds")
    short = t.integer("min_session_seconds", 0, 3600, "seconds")
    burst_count = t.integer("top_burst_count", 2, 1000, note=" (top ratings)")
    burst_minutes = t.integer("top_burst_minutes", 1, 1440, "minutes")
    keypad_url = t.take("keypad_url", KEYPAD_ALLOWED)
    if not isinstance(keypad_url, str):
        t.fail("keypad_url", KEYPAD_ALLOWED)
    dossier_code = _dossier_code(t)
    t.finish()
    return CounterConfig(
        number,
        fields or tuple(known),
        idle,
        lock,
        rating_seconds,
        instant,
        short,
        burst_count,
        burst_minutes,
        keypad_url,
        dossier_code,
    )


def _dossier_code(t: Table) -> DossierCodePolicy:
    """The dossier code asked at closing: its mode, the pattern of a code (a regular
    expression matched against the whole upper-cased code) and an example of one, which must
    match it (it is shown to the officer with a code that does not)."""
    mode = t.choice("dossier_code", MODES)
    source = t.text("dossier_code_pattern", "must be a regular expression, e.g. [A-Z0-9.-]{6,40}")
    try:
        pattern = re.compile(source)
    except re.error as error:
        t.fail("dossier_code_pattern", f"is not a valid regular expression: {error}")
    example = t.text(
        "dossier_code_example",
        f"must be a dossier code written as dossier_code_pattern allows, at most {MAX_CHARS}"
        " characters",
    )
    if normalise(example) != example or len(example) > MAX_CHARS:
        t.fail("dossier_code_example", f"must be in capitals, at most {MAX_CHARS} characters")
    if pattern.fullmatch(example) is None:
        t.fail(
            "dossier_code_example",
            "must match dossier_code_pattern",
            related=("dossier_code_pattern",),
        )
    return DossierCodePolicy(mode, pattern, example)


def parse_rating(doc: Document) -> RatingConfig:
    root = doc.root()
    citizen = root.table("citizen")
    scale = citizen.choice("scale", (3, 5))
    question_vi = citizen.text("question_vi")
    question_en = citizen.text("question_en")
    citizen.finish()
    scales = {levels: _scale(root.table(f"scale_{levels}"), levels) for levels in (3, 5)}
    reasons = _choices(root.tables("reasons"))
    outcomes = _outcomes(root.tables("outcomes"))
    officer_table = root.table("officer_rating")
    officer_levels = officer_table.integer("scale", 3, 5, "levels")
    officer_scale = _scale(officer_table, officer_levels, negative=False)
    criteria = _choices(root.tables("officer_criteria"))
    root.finish()
    no_shows = [o for o in outcomes if o.no_show]
    if len(no_shows) != 1:
        found = ", ".join(toml_repr(o.id) for o in no_shows) or "none"
        raise ConfigError(
            f"{doc.origin(('outcomes',))}: [[outcomes]] no_show — exactly one outcome must be"
            f" the no-show (no_show = true); found {found}"
        )
    return RatingConfig(
        citizen_scale=scales[scale],
        question_vi=question_vi,
        question_en=question_en,
        reasons=reasons,
        outcomes=outcomes,
        officer_scale=officer_scale,
        officer_criteria=criteria,
    )


def _scale(t: Table, levels: int, *, negative: bool = True) -> Scale:
    allowed = f"must be a list of {levels} non-empty texts, level 1 (the best) first"
    labels_vi = t.text_list("labels_vi", allowed, count=levels)
    labels_en = t.text_list("labels_en", allowed, count=levels)
    negatives: tuple[int, ...] = ()
    if negative:
        # Levels 1 and 2 are "satisfied" in every report: they can never be negative.
        negatives = t.integer_list("negative", 3, levels)
    t.finish()
    return Scale(levels, labels_vi, labels_en, frozenset(negatives))


def _choices(tables: list[Table]) -> tuple[Choice, ...]:
    seen: dict[str, str] = {}
    out = []
    for t in tables:
        out.append(Choice(*_choice_texts(t, seen)))
        t.finish()
    return tuple(out)


def _outcomes(tables: list[Table]) -> tuple[Outcome, ...]:
    seen: dict[str, str] = {}
    out = []
    for t in tables:
        out.append(Outcome(*_choice_texts(t, seen), t.optional_boolean("no_show", False)))
        t.finish()
    return tuple(out)


def _choice_texts(t: Table, seen: dict[str, str]) -> tuple[str, str, str]:
    """The id (unique in its list: `seen` maps ids to the title that used them), vi and en."""
    choice_id = t.text(
        "id", "must be 1 to 64 characters: lowercase letters a-z, digits and '-'", _CHOICE_ID
    )
    if choice_id in seen:
        t.fail("id", f"must be unique; {seen[choice_id]} has the same id")
    seen[choice_id] = t.title
    return choice_id, t.text("vi"), t.text("en")
