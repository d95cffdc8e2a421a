"""`python -m tests.support.frozen_app ETC_DIR`: `kiosk run` with one test hook: SIGUSR1
freezes the Kivy main loop while the worker threads go on, as a UI stuck in a callback would.

Python runs a signal handler on the main thread, between two steps of whatever it was doing
there (here, the Kivy loop); this one says STATUS= to the notify socket, then never returns.
"""

from __future__ import annotations

import signal
import sys
import threading

from kiosk import watchdog
from kiosk.cli import main

FROZEN_STATUS = "STATUS=main loop frozen by the test"


def _freeze(_signum: int, _frame: object) -> None:
    watchdog.notify(FROZEN_STATUS)
    threading.Event().wait()


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _freeze)
    sys.exit(main(["run", "--config", sys.argv[1]]))
