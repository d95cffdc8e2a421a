"""The device roles, by name: the app each one runs ("module:Class"), imported only when a
device starts (so that one-off commands never import Kivy). A new role is one line here."""

from __future__ import annotations

ROLES: dict[str, str] = {
    "lobby": "apps.lobby:LobbyApp",
    "counter": "apps.counter:CounterApp",
}
LAUNCHER = "apps.launch"  # run_app(config, data, *, verbose, demo=None)
