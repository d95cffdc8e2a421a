"""Field choice: one large coloured button per field (lĩnh vực) of the service catalogue."""

from __future__ import annotations

import uuid
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.widgets import BigButton


class FieldsScreen(KioskScreen):
    """Picks the field and the priority option, then asks the app for one ticket.

    Every visit to this screen gets one request id: however many times (and however fast) the
    citizen taps, the app issues at most one ticket for it.
    """

    busy = BooleanProperty(False)
    message = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.request_id = ""
        App.get_running_app().bind(language=lambda *_: self.build_buttons())

    def on_pre_enter(self, *args) -> None:
        self.request_id = str(uuid.uuid4())
        self.busy = False
        self.message = ""
        self.ids.priority.state = "normal"
        self.build_buttons()

    def build_buttons(self) -> None:
        app = App.get_running_app()
        grid = self.ids.grid
        grid.clear_widgets()
        fields = app.catalogue_fields()
        grid.cols = 2 if len(fields) > 3 else 1
        for field in fields:
            button = BigButton(
                text=field.name_en if app.language == "en" else field.name_vi,
                fill=field.colour,
                font_size=mm(7),
            )
            button.field_id = field.id
            button.bind(on_release=self._field_chosen)
            grid.add_widget(button)

    def _field_chosen(self, button: BigButton) -> None:
        if self.busy:
            return
        self.busy = True
        self.message = ""
        priority = self.ids.priority.state == "down"
        App.get_running_app().request_ticket(button.field_id, priority, self.request_id)

    def show_error(self, text: str) -> None:
        """Shown when no ticket could be issued; the citizen may try again."""
        self.busy = False
        self.request_id = str(uuid.uuid4())
        self.message = text


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
