"""The ID card scanner: in serial mode its port is present and can be opened (then closed at
once). When the running kiosk holds it, it is busy, which says it is there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.transport import TransportError, open_transport
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.diagnostics.ports import present_serial_ports
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "scanner"


def check(config: Config, context: CheckContext) -> list[Finding]:
    scanner = config.scanner
    if scanner.mode == "none" or config.device.role == "display":
        return []
    if scanner.mode == "keyboard":
        return [
            warning(
                CHECK,
                Text(N_("Keyboard mode: it cannot type Vietnamese reliably.")),
                Text(N_('Set the scanner to USB serial (CDC) mode and [scanner] mode = "serial".')),
            )
        ]
    url = scanner.url
    detail = {"url": url}
    try:
        port = open_transport(
            url, baudrate=scanner.baudrate, write_timeout=context.timeout, device="scanner"
        )
    except TransportError as error:
        if "busy" in str(error):
            return [ok(CHECK, N_("In use by the running kiosk ({url})."), detail, url=url)]
        return [
            fault(
                CHECK,
                Text(N_("Cannot be opened: {error}."), {"error": str(error)}),
                Text(
                    N_(
                        "Plug the scanner in and check [scanner] url in kiosk.toml (ports present:"
                        " {ports})."
                    ),
                    {"ports": ", ".join(present_serial_ports()) or "none"},
                ),
                {**detail, "error": str(error)},
            )
        ]
    port.close()
    return [ok(CHECK, N_("Present and free ({url})."), detail, url=url)]
