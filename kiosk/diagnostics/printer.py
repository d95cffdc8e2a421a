"""The ticket printer's status bits (DLE EOT through the real driver): paper out or near its
end, cover open, offline, not connected. When the running kiosk holds the port (busy), its own
report is read instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.printer import EscPosPrinter, PrinterState
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.diagnostics.ports import present_serial_ports
from kiosk.diagnostics.running_app import reported_printer
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "printer"
PRINTING_ROLES = ("lobby",)

_SAID = {
    PrinterState.READY: N_("Ready ({url})."),
    PrinterState.PAPER_NEAR_END: N_("Paper near its end ({url})."),
    PrinterState.PAPER_OUT: N_("Out of paper ({url})."),
    PrinterState.COVER_OPEN: N_("Cover open ({url})."),
    PrinterState.OFFLINE: N_("Not answering ({url}): {reason}."),
    PrinterState.DISCONNECTED: N_("Not connected ({url}): {reason}."),
}
_FIXES = {
    PrinterState.PAPER_NEAR_END: N_("Put a new paper roll in soon."),
    PrinterState.PAPER_OUT: N_("Put a new paper roll in and close the cover."),
    PrinterState.COVER_OPEN: N_("Close the printer cover until it clicks."),
    PrinterState.OFFLINE: N_(
        "Check the printer is switched on, then the baud rate ([printer] baudrate) and the"
        " printer profile; print a test page with kiosk print-test."
    ),
    PrinterState.DISCONNECTED: N_(
        "Plug the printer in and switch it on, and check [printer] url in kiosk.toml (ports"
        " present: {ports})."
    ),
}


def check(config: Config, context: CheckContext) -> list[Finding]:
    if config.device.role not in PRINTING_ROLES:
        return []
    url = config.printer.url
    driver = EscPosPrinter(
        url,
        config.printer_profile,
        baudrate=config.printer.baudrate,
        write_timeout=context.timeout,
        status_timeout=min(0.5, context.timeout),
    )
    try:
        state = driver.query_status()
        reason = driver.reason
    finally:
        driver.stop()
    if state == PrinterState.DISCONNECTED and "busy" in reason:
        return [_as_the_app_says(config, url)]
    return [finding(state, url, reason)]


def finding(state: PrinterState, url: str, reason: str, **detail: object) -> Finding:
    args = {"url": url, "reason": reason}
    summary = Text(_SAID[state], args)
    detail = {"url": url, "state": state.value, **detail}
    if state == PrinterState.READY:
        return Finding(CHECK, "ok", summary, None, detail)
    fix = Text(_FIXES[state], {"ports": ", ".join(present_serial_ports()) or "none"})
    if state == PrinterState.PAPER_NEAR_END:
        return warning(CHECK, summary, fix, detail)
    return fault(CHECK, summary, fix, detail)


def _as_the_app_says(config: Config, url: str) -> Finding:
    report = reported_printer(config.device.data_dir)
    if report is None:
        return ok(
            CHECK,
            N_("In use by the running kiosk ({url}): its technician screen shows the state."),
            {"url": url, "state": "in_use"},
            url=url,
        )
    state, at = report
    when = "" if at is None else at.isoformat(timespec="seconds")
    return finding(state, url, "as the running kiosk reported", reported_at=when)
