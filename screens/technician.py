"""The lobby's technician menu: the device's facts and the printer, the live scanner view,
reprint of failed tickets, the printer's test page and the export of the logs."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import NumericProperty

from screens.technician_parts import TechnicianBase
from screens.widgets import BigButton, whole_rows

ROW_MM = 16  # a failed ticket's row in the list
ROW_GAP_MM = 2


class TechnicianScreen(TechnicianBase):
    """Everything here is asked of the app, which does the work off the UI thread."""

    row_gap = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        self.row_gap = mm(ROW_GAP_MM)
        super().__init__(**kwargs)

    def show_failed(self, failed: list[tuple[str, str]]) -> None:
        """`failed` holds (ticket id, text) of today's tickets whose print failed."""
        box = self.ids.failed
        box.clear_widgets()
        app = App.get_running_app()
        if not failed:
            self.ids.failed_title.text = app.t("No failed prints today.")
            return
        self.ids.failed_title.text = app.t("Failed prints today (tap to print again):")
        for ticket_id, text in failed:
            button = BigButton(
                text=text, font_size=mm(5), fill="#8E2424", size_hint_y=None, height=mm(ROW_MM)
            )
            button.bind(on_release=lambda _b, tid=ticket_id: app.reprint_ticket(tid))
            box.add_widget(button)
        self.ids.failed_scroll.scroll_y = 1

    @staticmethod
    def whole_rows(available: float) -> float:
        """The height of the list in `available`: whole rows only, at least one, so no row is
        ever shown cut in half (the rest is scrolled to)."""
        return whole_rows(available, mm(ROW_MM), mm(ROW_GAP_MM))


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
