"""Validation errors as one plain sentence, never echoing the offending value."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_SAFE_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")


def first_problem(errors: Sequence[Mapping[str, Any]]) -> str:
    """`where: what` of the first error; parts of the location that came from the input (keys
    of a free-form object) are shown as `?`, and the input value itself is never included."""
    if not errors:
        return "invalid value"
    first = errors[0]
    where = ".".join(
        str(part) if isinstance(part, int) or _SAFE_NAME.fullmatch(str(part)) else "?"
        for part in first.get("loc", ())
    )
    message = str(first.get("msg", "invalid value"))
    return f"{where}: {message}" if where else message
