"""What every role's technician screen shares: the header, the device's facts (scrolled, whole
lines only, never shrunk), the live view of the scanner, the last action's message and the row
of actions. Each role's screen (screens/technician.py, counter_technician.py,
display_technician.py) lays these out with its own actions (apps/technician.py fills them)."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.anchorlayout import AnchorLayout
from kivy.utils import escape_markup

from screens.base import BaseScreen


class TechnicianBase(BaseScreen):
    """A technician screen: `facts` are (name, value) pairs the app gathers off the UI thread
    when the screen opens and on "Check again", and keeps up to date while it is shown;
    `message` says what the last action did; `scan` what the scanner read last
    (kiosk.scan_reading: masked), when the device has a scanner (`scanner_used`)."""

    facts = ListProperty([])
    message = StringProperty("")
    message_failed = BooleanProperty(False)  # the last action's message says it failed
    scan = StringProperty("")
    scanner_used = BooleanProperty(True)

    def on_pre_enter(self, *args) -> None:
        self.message = ""
        self.scan = ""
        App.get_running_app().refresh_technician_view()

    def show_facts(self, facts: list[tuple[str, str]]) -> None:
        self.facts = facts

    def show_message(self, text: str, *, failed: bool = False) -> None:
        self.message = text
        self.message_failed = failed

    def show_scan(self, text: str) -> None:
        self.scan = text


class TechnicianFacts(AnchorLayout):
    """The facts as "name: value" lines; a value of several lines is indented below its name."""

    facts = ListProperty([])
    text = StringProperty("")

    def on_facts(self, _instance, facts: list[tuple[str, str]]) -> None:
        lines = []
        for name, value in facts:
            first, *rest = str(value).split("\n") or [""]
            lines.append(f"[b]{escape_markup(name)}:[/b] {escape_markup(first)}")
            lines.extend(f"    {escape_markup(line)}" for line in rest)
        self.text = "\n".join(lines)

    @staticmethod
    def whole_lines(available: float, font_size: float) -> float:
        """The height of whole lines of text at `font_size` in `available` (at least one): the
        facts are scrolled to, never shown with a line cut in half."""
        probe = CoreLabel(text="Ág", font_size=font_size)
        probe.refresh()
        line = probe.texture.height
        return max(1, int(available // line)) * line


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
