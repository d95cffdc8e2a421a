"""Field choice: one large coloured button per field (lĩnh vực) of the service catalogue."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, StringProperty

from screens.base import BaseScreen
from screens.widgets import BigButton

MIN_ROW_MM = 18
BUTTON_PADDING_MM = 3  # each side of a BigButton's text (screens/widgets.kv)
MIN_FONT_MM = 3.5


def fitting_font(text: str, font: float, width: float) -> float:
    """`font`, or smaller so that the longest word of `text` fits `width` (bold): a word wider
    than its button would be cut between two letters."""
    size = font
    for word in text.split():
        label = CoreLabel(text=word, font_size=size, bold=True)
        label.refresh()
        if label.texture.width > width > 0:
            size *= width / label.texture.width * 0.97
    return max(size, mm(MIN_FONT_MM))


class FieldsScreen(BaseScreen):
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
        for field in app.catalogue_fields():
            button = BigButton(text=field.name(app.language), fill=field.colour)
            button.field_id = field.id
            button.bind(on_release=self._field_chosen)
            grid.add_widget(button)
        self.fit_grid()

    def fit_grid(self) -> None:
        """As many rows of at least MIN_ROW_MM as the panel's height allows, then the columns
        that takes: two columns on a 10" panel, four on a 7" one."""
        grid = self.ids.grid
        count = len(grid.children)
        if not count:
            return
        spacing = grid.spacing[1]
        rows = max(1, int((grid.height + spacing) // (mm(MIN_ROW_MM) + spacing)))
        grid.cols = max(1, math.ceil(count / rows))
        font = mm(7) if grid.cols <= 2 else mm(5.5)
        column = (grid.width - grid.spacing[0] * (grid.cols - 1)) / grid.cols
        room = column - mm(BUTTON_PADDING_MM) * 2
        # One size for every field, the size the longest word allows.
        font = min(fitting_font(button.text, font, room) for button in grid.children)
        for button in grid.children:
            button.font_size = font

    def _field_chosen(self, button: BigButton) -> None:
        if self.busy:
            return
        self.busy = True
        self.message = ""
        priority = self.ids.priority.state == "down"
        App.get_running_app().choose_field(button.field_id, priority, self.request_id)

    def show_error(self, text: str) -> None:
        """Shown when no ticket could be issued; the citizen may try again."""
        self.busy = False
        self.request_id = str(uuid.uuid4())
        self.message = text


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
