"""What every check is given besides the configuration: the device clock, its time limit and
the free-space thresholds. Tests inject their own; the defaults are the device's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common.office_clock import aware_now

MB = 1024 * 1024


@dataclass(frozen=True)
class CheckContext:
    # The device's own clock (the clock check compares it with the server's).
    clock: Callable[[], datetime] = aware_now
    # Seconds a network or device check may wait: with the server down, the whole run still
    # ends in a few seconds.
    timeout: float = 2.0
    # Free space of the data folder below which it is a warning, and a fault.
    disk_warning_bytes: int = 200 * MB
    disk_fault_bytes: int = 20 * MB
    # The checks run inside the app of a role (its technician menu): the device runs that role,
    # whatever its site file says (the demo gives the role on the command line).
    in_running_app: bool = False
