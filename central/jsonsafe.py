"""What JSON may carry into the database: both databases refuse some values JSON allows.

PostgreSQL text cannot hold NUL, and neither database can store a lone surrogate (a valid JSON
escape, but not valid UTF-8), an infinite number or an integer beyond 64 bits (strict_json
parses those to an `OutOfRange` marker).
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 16


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text is not valid Unicode (a lone surrogate)"
    return None


def json_problem(value: Any) -> str | None:
    """Why `value` (parsed JSON) cannot be stored, or None. Iterative: depth is untrusted."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"JSON nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, str):
            problem = text_problem(item)
        elif isinstance(item, dict):
            problem = next((found for key in item if (found := text_problem(key))), None)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            problem = None
            pending.extend((child, depth + 1) for child in item)
        elif (
            item is None
            or isinstance(item, bool | int)
            or (isinstance(item, float) and math.isfinite(item))
        ):
            problem = None
        else:
            problem = "a number is out of range (infinite, or an integer of more than 20 digits)"
        if problem is not None:
            return problem
    return None
