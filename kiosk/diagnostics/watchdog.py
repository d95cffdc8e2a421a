"""The systemd watchdog of the kiosk unit: that it is set (WatchdogSec), and when the running
app last pinged it. Pings come from the Kivy main loop (kiosk.watchdog): a frozen screen stops
them and systemd restarts the app. Without systemd as init this cannot be told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.diagnostics.commands import output
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, ok, warning
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "watchdog"
UNIT = "kiosk.service"
_PROPERTIES = ("WatchdogUSec", "ActiveState", "WatchdogTimestamp")


def check(config: Config, context: CheckContext) -> Finding:
    answer = output(
        ["systemctl", "show", UNIT, *(f"--property={name}" for name in _PROPERTIES)],
        context.timeout,
    )
    if answer is None:
        return warning(
            CHECK,
            Text(N_("Cannot tell: systemd does not answer here (not the device's init?).")),
        )
    unit = dict(line.partition("=")[::2] for line in answer.splitlines() if "=" in line)
    timeout = unit.get("WatchdogUSec", "0")
    detail = {"unit": UNIT, **unit}
    if timeout in ("0", "infinity", ""):
        return warning(
            CHECK,
            Text(
                N_("{unit} has no watchdog: a frozen screen would not be restarted."),
                {"unit": UNIT},
            ),
            Text(N_("Install the shipped unit (WatchdogSec=30): install/raspberry-pi.sh.")),
            detail,
        )
    if unit.get("ActiveState") != "active":
        return ok(
            CHECK,
            N_("{unit} has a watchdog of {timeout}; the kiosk is not running."),
            detail,
            unit=UNIT,
            timeout=timeout,
        )
    return ok(
        CHECK,
        N_("{unit} has a watchdog of {timeout}; last ping {last}."),
        detail,
        unit=UNIT,
        timeout=timeout,
        last=unit.get("WatchdogTimestamp") or "none yet",
    )
