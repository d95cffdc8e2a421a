"""Run a Python module in a child process whose clock starts at a chosen moment and runs on from
there (time-machine: the wall clock only; monotonic time, sleeps and timeouts stay real, which
libfaketime does not manage with Python's waits).

    python -m tests.support.time_travel 2026-12-01T10:00:00+07:00 -- PYTHON -m MODULE ARGS...

The part after `--` is the command as it would run without the travel (its interpreter is
ignored: the module runs in this one), so that a test can put this in front of any command.
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime

import time_machine


def main(argv: list[str]) -> None:
    moment, separator, _python, option, module, *arguments = argv
    if separator != "--" or option != "-m":
        raise SystemExit("usage: time_travel MOMENT -- PYTHON -m MODULE ARGS...")
    sys.argv = [module, *arguments]
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
