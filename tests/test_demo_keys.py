"""The demo's keys act on the twins from beside the app: the lobby app itself knows nothing of
the demo (it is given plain device ports), yet F5 takes the virtual printer's paper away and F10
makes the virtual scanner read a demo card on the card step."""

from __future__ import annotations

from kivy.core.window import Window

from apps.demo_keys import PRINTER_SWITCHES, SCAN_KEY, DemoKeys
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id_samples import load_samples
from kiosk.demo import DemoCentral, DemoTwins
from tests.support.ui import pump, running_lobby, tap
from tests.test_lobby_citizen_id import to_consent

F5 = next(key for key, switch in PRINTER_SWITCHES.items() if switch == "paper_out")


def press(key: int) -> None:
    Window.dispatch("on_key_down", key, 0, None, [])


def test_f5_and_f10_act_on_the_twins_and_the_app_sees_only_its_devices(tmp_path):
    scanner = VirtualScanner()
    extra = f'\n[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n'
    cards = [sample.payload for sample in load_samples()]
    with running_lobby(tmp_path, extra_config=extra) as (app, printer):
        central = DemoCentral(tmp_path, "Asia/Ho_Chi_Minh", "04:00")  # not started: F9 unused
        keys = DemoKeys(DemoTwins(central, printer, scanner, None, cards))
        keys.bind()
        try:
            press(F5)
            assert printer.paper_out
            assert pump(lambda: "hết giấy" in app.printer_notice)  # the welcome banner
            press(F5)
            assert not printer.paper_out

            to_consent(app)
            tap(app.root.get_screen("id_consent").ids.agree)
            assert pump(lambda: app.root.current == "id_scan")
            press(SCAN_KEY)  # the first demo card: a chip card with an old CMND number
            assert pump(lambda: app.root.current == "id_confirm")
            assert app.root.get_screen("id_confirm").ids.masked_id.text == "••••••••2345"
        finally:
            keys.unbind()
            scanner.close()


def test_the_apps_take_no_demo_arguments():
    """The production classes have no demo hooks left (the twins are wired in kiosk/demo.py)."""
    import inspect

    from apps.counter import CounterApp
    from apps.lobby import LobbyApp

    for app in (LobbyApp, CounterApp):
        assert not [name for name in inspect.signature(app).parameters if "demo" in name]
