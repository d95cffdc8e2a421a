"""The checks in the order they are run and shown, and running them.

Each check is `check(config, context) -> Finding | list[Finding]` in its own module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from kiosk.diagnostics import (
    central,
    configuration,
    data_folder,
    database,
    device_ports,
    disk,
    enrolment,
    printer,
    scanner,
    time_sync,
    watchdog,
)
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Status, Text
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger(__name__)

Check = Callable[["Config", CheckContext], "Finding | list[Finding]"]

CHECKS: dict[str, Check] = {
    "configuration": configuration.check,
    "database": database.check,
    "disk": disk.check,
    "data_folder": data_folder.check,
    "printer": printer.check,
    "scanner": scanner.check,
    "device_ports": device_ports.check,
    "enrolment": enrolment.check,
    "central": central.check,  # also gives the "clock" finding: one request to the server
    "time_sync": time_sync.check,
    "watchdog": watchdog.check,
}

# Each finding's check as the technician screen names it.
CHECK_TITLES = {
    "configuration": N_("Configuration"),
    "database": N_("Database"),
    "disk": N_("Free disk space"),
    "data_folder": N_("Data folder"),
    "printer": N_("Printer"),
    "scanner": N_("ID card scanner"),
    "device_ports": N_("Device ports"),
    "enrolment": N_("Enrolment"),
    "central": N_("Central server"),
    "clock": N_("Clock"),
    "time_sync": N_("Time synchronisation"),
    "watchdog": N_("Watchdog"),
}

_RANK: dict[Status, int] = {"ok": 0, "warning": 1, "fault": 2}


def run_checks(
    config: Config, context: CheckContext | None = None, only: Iterable[str] | None = None
) -> list[Finding]:
    """Every check's findings (or those of the checks named in `only`), in order. Blocks for
    up to a few seconds: never call it on the Kivy main thread."""
    context = context or CheckContext()
    names = list(CHECKS) if only is None else [name for name in CHECKS if name in set(only)]
    findings: list[Finding] = []
    for name in names:
        try:
            result = CHECKS[name](config, context)
        except Exception as error:  # a broken check must not hide the others' findings
            log.exception("the %s check failed", name)
            result = Finding(
                name,
                "fault",
                Text(N_("The check itself failed: {error}"), {"error": _one_line(error)}),
                Text(N_("Run kiosk doctor -v and report its output to the developers.")),
            )
        findings.extend([result] if isinstance(result, Finding) else result)
    return findings


def worst(findings: Sequence[Finding]) -> Status:
    """The worst status among `findings` ("ok" for none)."""
    return max((f.status for f in findings), key=_RANK.__getitem__, default="ok")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
