"""Whether the device clock is synchronised: systemd-timesyncd's flag file, timedatectl, or
chrony, the first that can tell; "cannot tell" is said as such, never guessed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.commands import output
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, ok, warning
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "time_sync"
# Made by systemd-timesyncd once it has synchronised the clock since boot.
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")

_FIX = Text(
    N_(
        "Turn on time synchronisation (timedatectl set-ntp true) and let the device reach an NTP"
        " server."
    )
)


def check(config: Config, context: CheckContext) -> Finding:
    synchronised, source = synchronisation(context.timeout)
    detail = {"source": source}
    if synchronised is None:
        return warning(
            CHECK,
            Text(
                N_(
                    "Cannot tell whether the clock is synchronised (no timesyncd, timedatectl"
                    " or chrony answers)."
                )
            ),
            _FIX,
            detail,
        )
    if synchronised:
        return ok(CHECK, N_("The clock is synchronised ({source})."), detail, source=source)
    return warning(
        CHECK, Text(N_("The clock is not synchronised ({source})."), detail), _FIX, detail
    )


def synchronisation(timeout: float, flag: Path = TIMESYNCD_FLAG) -> tuple[bool | None, str]:
    """(whether the clock is synchronised, who said so); None: nobody could tell."""
    if flag.exists():
        return True, "systemd-timesyncd"
    answer = output(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], timeout)
    if answer is not None and answer.strip() in ("yes", "no"):
        return answer.strip() == "yes", "timedatectl"
    tracking = output(["chronyc", "-n", "tracking"], timeout)
    if tracking is not None:
        return "Not synchronised" not in tracking, "chrony"
    return None, "none"
