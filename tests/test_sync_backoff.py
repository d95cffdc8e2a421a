"""Waiting between attempts: exponential with full jitter, capped, and the server's
Retry-After honoured in both its forms."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from kiosk.central_client import retry_after_seconds
from kiosk.sync import backoff_delay

NOW = datetime(2025, 7, 1, 2, 0, 0, tzinfo=UTC)


def test_the_ceiling_doubles_with_each_failure_up_to_max_backoff() -> None:
    rng = random.Random(7)
    for failures, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (9, 256), (10, 300), (80, 300)]:
        delays = [backoff_delay(failures, 300, None, rng) for _ in range(2000)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.9, "full jitter reaches up to the ceiling"
        assert min(delays) < ceiling * 0.1, "full jitter goes down to nothing"


def test_retry_after_is_obeyed_as_asked_up_to_an_hour() -> None:
    rng = random.Random(7)
    assert backoff_delay(1, 300, 30, rng) == 30
    assert backoff_delay(5, 300, 0, rng) == 0
    assert backoff_delay(1, 5, 600, rng) == 600
    assert backoff_delay(1, 300, 86400, rng) == 3600


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120),
        (" 7 ", 7),
        ("Tue, 01 Jul 2025 02:00:45 GMT", 45),
        ("Tue, 01 Jul 2025 01:59:00 GMT", 0),  # a date already past: go now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header, NOW) == seconds
