"""The hall display's technician menu: the device's facts, what the display hears from the
server and the counters, the speech in use, a speaker test and the export of the logs.
Everything is asked of the app, which does the work off the UI thread."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from screens.technician_parts import TechnicianBase


class DisplayTechnicianScreen(TechnicianBase):
    """The facts and the display's actions (display_technician.kv): no scanner here."""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
