"""The technician screen's recent errors: the last few warnings, a repeated one counted once."""

from __future__ import annotations

import logging

from kiosk.recent_errors import RecentErrors


def test_the_last_warnings_are_kept_and_a_repeat_is_counted_not_kept_twice():
    errors = RecentErrors(kept=3)
    log = logging.getLogger("tests.recent_errors")
    errors.install()
    try:
        log.info("not a problem")
        log.warning("printer %s not responding", "/dev/ttyUSB0")
        for _ in range(4):
            log.warning("sync is off")
        log.error("first line\nsecond line")
        log.error("the last one")
    finally:
        errors.remove()
    log.error("after removal")
    assert [(message, times) for _at, message, times in errors.latest()] == [
        ("sync is off", 4),
        ("first line", 1),
        ("the last one", 1),
    ]
