"""What a diagnostic check found: a status, a summary and, for a problem, its fix.

The summary and the fix are kept as msgids with their arguments (`Text`), so that the command
line renders them in English and the technician screen in the device's language from the same
finding. Arguments are values (paths, numbers, an error's own message) or, for a word to translate
(a fault's name), a Text themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warning", "fault"]
STATUSES: tuple[Status, ...] = ("ok", "warning", "fault")


def _same(msgid: str) -> str:
    return msgid


@dataclass(frozen=True)
class Text:
    """A msgid and the values of its placeholders (a value that is itself a Text is translated
    too)."""

    msgid: str
    args: Mapping[str, object] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] = _same) -> str:
        """The text in the language of `gettext` (English without one)."""
        values = {
            name: value.render(gettext) if isinstance(value, Text) else value
            for name, value in self.args.items()
        }
        return gettext(self.msgid).format(**values)


@dataclass(frozen=True)
class Finding:
    """One check's result. `check` is its stable name (e.g. "database"); `detail` holds the
    measured values for --json and the screen (JSON types only)."""

    check: str
    status: Status
    summary_text: Text
    fix_text: Text | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.status == "fault" and self.fix_text is None:
            raise ValueError(f"the fault of {self.check} needs its fix")

    @property
    def summary(self) -> str:
        return self.summary_text.render()

    @property
    def fix(self) -> str | None:
        return None if self.fix_text is None else self.fix_text.render()

    def as_dict(self) -> dict[str, Any]:
        """The English form, as `kiosk doctor --json` prints it."""
        return {
            "check": self.check,
            "status": self.status,
            "summary": self.summary,
            "fix": self.fix,
            "detail": dict(self.detail),
        }


def ok(check: str, msgid: str, detail: Mapping[str, Any] | None = None, **args: object) -> Finding:
    return Finding(check, "ok", Text(msgid, args), None, detail or {})


def warning(
    check: str,
    summary: Text,
    fix: Text | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Finding:
    return Finding(check, "warning", summary, fix, detail or {})


def fault(check: str, summary: Text, fix: Text, detail: Mapping[str, Any] | None = None) -> Finding:
    return Finding(check, "fault", summary, fix, detail or {})
