"""The device roles and the app each one runs: a new role is one line of ROLE_APPS.

The apps are named, not imported: importing this module (the configuration's validation, the
command line's --role) never imports Kivy; only app_class(), when an app starts, does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.base import DeviceApp
    from kiosk.config import Config

# role -> "module:class" of the app it runs
ROLE_APPS: dict[str, str] = {
    "lobby": "apps.lobby:LobbyApp",
    "counter": "apps.counter:CounterApp",
    "display": "apps.display:DisplayApp",
}
ROLES: tuple[str, ...] = tuple(ROLE_APPS)
# Starts a role's app in a window: run_app(config, data, *, verbose, demo=None); and on a device
# never provisioned (kiosk.config.site_writer.is_provisioned) the setup app instead:
# run_setup(config, override, *, verbose) -> provisioned.
LAUNCHER = "apps.launch"


def app_class(role: str) -> type[DeviceApp]:
    """The app class of `role`, imported now (and Kivy with it)."""
    module, _, name = ROLE_APPS[role].partition(":")
    return getattr(importlib.import_module(module), name)


def window_title(config: Config) -> str:
    """The title of a device's window: office, role and device, so that a technician (and the
    demo, which opens two) can tell windows apart."""
    return f"{config.office.name} – {config.device.role} {config.device.id}"
