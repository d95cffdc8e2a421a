"""Child processes of the tests: they run in the repository (so `python -m tests.support…`
finds the helpers)."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def ctrl_c_delivered() -> None:
    """In the child (Popen preexec_fn): SIGINT back to its default, as at a terminal. A test run
    started in the background of a non-interactive shell ignores SIGINT, and every child would
    inherit that and never see the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kiosk_run_env(**env: str) -> dict[str, str]:
    """The environment of `kiosk run` as systemd starts it: without the tests' KIVY_NO_ARGS
    (and KIVY_UNITTEST, which Kivy sets under pytest), which the command sets itself before
    Kivy is imported (else Kivy takes `--config DIR` as its own option)."""
    dropped = ("KIVY_NO_ARGS", "KIVY_UNITTEST")
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, **env}


@contextmanager
def folder_outside_pytest() -> Iterator[Path]:
    """A temporary folder whose path has no "pytest" in it: Kivy skips reading the command line
    when any argument contains "pytest" (it takes itself to be under test), so a `kiosk run
    --config DIR` under tmp_path would hide what Kivy does with our `--config`."""
    with tempfile.TemporaryDirectory(prefix="kiosk-run-") as folder:
        yield Path(folder)
