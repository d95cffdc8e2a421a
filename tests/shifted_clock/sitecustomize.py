"""Run every Python process of the test suite with its wall clock shifted (the cross-check that
the suite passes at any hour of the day):

    KIOSK_CLOCK_SHIFT_SECONDS=-9000 PYTHONPATH=tests/shifted_clock ./run tests

Each process (pytest, and the `kiosk-central serve` and `kiosk` children it starts, which
inherit the environment) moves its clock by the same number of seconds at start-up and lets it
run on (time-machine, tick=True). Only the wall clock moves: monotonic clocks, and so every
timeout and sleep, are untouched, which libfaketime cannot promise (its monotonic handling
breaks Python's sleeps: EINVAL, or hangs). C code reading the clock itself (SQLite's
`strftime('now')`, OpenSSL's certificate checks) keeps the real time: shift into the past, so
that certificates the tests make are already valid for OpenSSL.
"""

import os

_shift = os.environ.get("KIOSK_CLOCK_SHIFT_SECONDS")
if _shift:
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(_shift)), tick=True).start()
