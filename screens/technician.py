"""The lobby's technician menu: the device's facts and the printer, the live scanner view,
reprint of failed tickets and of those that may have printed, the printer's test page and the
export of the logs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import NumericProperty

from screens.technician_parts import TechnicianBase
from screens.widgets import BigButton, whole_rows

ROW_MM = 16  # a failed ticket's row in the list
ROW_GAP_MM = 2
FAILED_FILL = "#8E2424"
UNKNOWN_FILL = "#7A4A00"  # may have printed: amber, white text at 7:1


class TechnicianScreen(TechnicianBase):
    """Everything here is asked of the app, which does the work off the UI thread."""

    row_gap = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        self.row_gap = mm(ROW_GAP_MM)
        super().__init__(**kwargs)

    def show_failed(
        self, failed: Sequence[tuple[str, str]], unknown: Sequence[tuple[str, str]] = ()
    ) -> None:
        """`failed` and `unknown` hold (ticket id, text) of today's tickets whose print failed,
        and of those that may have printed (kiosk.printing): tapping either reprints it."""
        box = self.ids.failed
        box.clear_widgets()
        app = App.get_running_app()
        if not failed and not unknown:
            self.ids.failed_title.text = app.t("No failed prints today.")
            return
        title = app.t("Failed prints today (tap to print again):")
        if unknown:
            title += "\n" + app.t(
                "Marked “?”: may have printed — ask the citizen before reprinting."
            )
        self.ids.failed_title.text = title
        for ticket_id, text in unknown:
            box.add_widget(self._reprint_row(ticket_id, f"? {text}", UNKNOWN_FILL))
        for ticket_id, text in failed:
            box.add_widget(self._reprint_row(ticket_id, text, FAILED_FILL))
        self.ids.failed_scroll.scroll_y = 1

    @staticmethod
    def _reprint_row(ticket_id: str, text: str, fill: str) -> BigButton:
        app = App.get_running_app()
        button = BigButton(
            text=text, font_size=mm(5), fill=fill, size_hint_y=None, height=mm(ROW_MM)
        )
        button.bind(on_release=lambda _b: app.reprint_ticket(ticket_id))
        return button

    @staticmethod
    def whole_rows(available: float) -> float:
        """The height of the list in `available`: whole rows only, at least one, so no row is
        ever shown cut in half (the rest is scrolled to)."""
        return whole_rows(available, mm(ROW_MM), mm(ROW_GAP_MM))


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
