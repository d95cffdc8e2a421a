"""The hall display's technician menu: what the display hears from the server and the counters,
the speech in use, and a speaker test. Everything is asked of the app, which does the work off
the UI thread."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import BaseScreen
from screens.technician import TechnicianScreen


class DisplayTechnicianScreen(BaseScreen):
    info = StringProperty("")
    message = StringProperty("")

    def on_pre_enter(self, *args) -> None:
        self.message = ""
        App.get_running_app().refresh_technician_view()

    def show_state(self, info: str) -> None:
        self.info = info

    def show_message(self, text: str) -> None:
        self.message = text

    whole_lines = staticmethod(TechnicianScreen.whole_lines)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
