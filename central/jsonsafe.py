"""What JSON may carry into the database: both databases refuse some values Python accepts.

PostgreSQL text cannot hold NUL, neither database can store a lone surrogate (valid JSON
escapes, invalid UTF-8), and NaN/Infinity are not JSON at all though Python parses them.
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
        elif isinstance(item, float):
            problem = None if math.isfinite(item) else "a number is not finite"
        elif isinstance(item, dict):
            problem = next((text_problem(key) for key in item if text_problem(key)), None)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            problem = None
            pending.extend((child, depth + 1) for child in item)
        else:
            problem = None
        if problem is not None:
            return problem
    return None
