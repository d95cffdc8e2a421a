"""Child processes of the tests: they run in the repository (so `python -m tests.support…`
finds the helpers)."""

from __future__ import annotations

import signal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def ctrl_c_delivered() -> None:
    """In the child (Popen preexec_fn): SIGINT back to its default, as at a terminal. A test run
    started in the background of a non-interactive shell ignores SIGINT, and every child would
    inherit that and never see the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
