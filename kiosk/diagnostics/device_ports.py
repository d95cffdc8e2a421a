"""The configured printer and scanner device files may be read and written by the kiosk's
user (kiosk.diagnostics.service_user): usually through the group dialout (serial) or lp
(/dev/usb/lp*). A device that is absent is the printer's or scanner's finding, not this one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok
from kiosk.diagnostics.printer import PRINTING_ROLES
from kiosk.diagnostics.service_user import group_name, service_user
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "device_ports"


def check(config: Config, context: CheckContext) -> list[Finding]:
    user = service_user(config.device.data_dir)
    findings = []
    for path in _device_files(config):
        if not path.exists():
            continue
        args = {"path": str(path), "user": user.name}
        if user.may_read_write(path):
            findings.append(ok(CHECK, N_("{user} may use {path}."), args, **args))
            continue
        group = group_name(path.stat().st_gid)
        findings.append(
            fault(
                CHECK,
                Text(N_("{user} may not read and write {path}."), args),
                Text(
                    N_(
                        "Add the user to the device's group: usermod -aG {group} {user}, then"
                        " restart the kiosk."
                    ),
                    {"group": group, "user": user.name},
                ),
                {**args, "group": group},
            )
        )
    return findings


def _device_files(config: Config) -> list[Path]:
    """The configured ports that are device files (not a URL such as socket://)."""
    urls = []
    if config.device.role in PRINTING_ROLES:
        urls.append(config.printer.url)
    if config.scanner.mode == "serial" and config.device.role != "display":
        urls.append(config.scanner.url)
    return [Path(url) for url in urls if "://" not in url]
