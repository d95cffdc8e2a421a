"""The kiosk's log: office local time with its UTC offset, in the file and on the console alike,
whatever time zone the device is set to (the screens show office time too)."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.office_clock import aware_now
from kiosk.logging_setup import configure_logging

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} ")


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: give pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def device_in_utc() -> Iterator[None]:
    """The device's own clock set to UTC, as a fresh Raspberry Pi OS image is."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_log_lines_carry_office_time_and_offset_in_the_file_and_on_the_console(
    tmp_path: Path, root_logging: None, device_in_utc: None
) -> None:
    configure_logging(tmp_path / "logs", timezone=HCM)
    record = logging.LogRecord(
        "kiosk.test", logging.INFO, __file__, 1, "ticket 1023 printed", (), None
    )
    record.created = datetime(2026, 12, 2, 0, 31, 5, tzinfo=UTC).timestamp()
    handlers = logging.getLogger().handlers
    assert {type(h).__name__ for h in handlers} == {"StreamHandler", "RotatingFileHandler"}
    for handler in handlers:
        assert (
            handler.format(record)
            == "2026-12-02 07:31:05 +0700 INFO kiosk.test: ticket 1023 printed"
        )

    logging.getLogger("kiosk.test").info("a real line")
    for handler in handlers:
        handler.flush()
    (line,) = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8").splitlines()
    assert STAMP.match(line) and " +0700 INFO kiosk.test: a real line" in line
    logged = datetime.strptime(line[:25], "%Y-%m-%d %H:%M:%S %z")
    # The logging module stamps lines with the wall clock: the one clock module reads the same.
    assert abs(logged.timestamp() - aware_now().timestamp()) < 60


def test_without_an_office_zone_the_device_zone_and_its_offset_are_shown(
    tmp_path: Path, root_logging: None, device_in_utc: None
) -> None:
    configure_logging(None)
    record = logging.LogRecord("kiosk.test", logging.WARNING, __file__, 1, "x", (), None)
    record.created = datetime(2026, 12, 2, 0, 31, 5, tzinfo=UTC).timestamp()
    (console,) = logging.getLogger().handlers
    assert console.format(record).startswith("2026-12-02 00:31:05 +0000 WARNING")
