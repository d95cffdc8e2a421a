"""The counter terminal's technician menu: the device's facts, the signed-in officer and the
counter's links, the live scanner view and the export of the logs. Everything is asked of the
app, which does the work off the UI thread."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from screens.technician_parts import TechnicianBase


class CounterTechnicianScreen(TechnicianBase):
    """The facts, the scanner's live view and the counter's actions (counter_technician.kv)."""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
