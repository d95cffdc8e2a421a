"""A command's output piped into a reader that stops early (`kiosk check-config | head`)."""

from __future__ import annotations

import os
import sys

# What a shell reports for a process ended by SIGPIPE (128 + 13).
EXIT_CLOSED_PIPE = 141


def quiet_closed_pipe() -> int:
    """Point stdout at /dev/null so the interpreter's flush at exit does not fail again on the
    closed pipe (the recipe of the Python docs, "Note on SIGPIPE"); the exit status to return."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE
