"""The hall board: the call shown large, the last calls, the waiting counts per field, the office
and the time, and the connection state. Read from metres away on a TV, so everything is sized in
proportion to the window (`unit`), in landscape and in portrait, never in millimetres.

The screen only draws what the app hands it (show_hero, show_recent, show_fields).
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from screens.base import BaseScreen

# The design sizes: unit 1 at 1920×1080 (landscape) or 1080×1920 (portrait).
DESIGN_LONG, DESIGN_SHORT = 1920, 1080
# Width of one character of the large number, as a share of its font size (Roboto digits).
DIGIT_WIDTH = 0.58
LETTER_WIDTH = 0.56  # the same for a bold line of Vietnamese words, on average


class CallRow(BoxLayout):
    """A line of the recent calls: number → counter."""

    label = StringProperty("")
    counter_text = StringProperty("")
    highlighted = BooleanProperty(False)
    unit = NumericProperty(1.0)


class FieldCard(BoxLayout):
    """A field's waiting count and estimated wait."""

    name = StringProperty("")
    waiting_text = StringProperty("")
    wait_text = StringProperty("")
    unit = NumericProperty(1.0)


class DisplayBoardScreen(BaseScreen):
    unit = NumericProperty(1.0)
    portrait = BooleanProperty(False)
    hero_label = StringProperty("")
    hero_counter = StringProperty("")
    hero_highlighted = BooleanProperty(False)
    hero_font = NumericProperty(100)
    hero_counter_font = NumericProperty(40)
    notice = StringProperty("")
    fields_note = StringProperty("")
    recent_rows = NumericProperty(8)  # the lines the recent calls get ([hall] recent_calls)

    def on_size(self, *_args) -> None:
        width, height = self.size
        self.portrait = height > width
        long, short = (height, width) if self.portrait else (width, height)
        self.unit = max(0.2, min(long / DESIGN_LONG, short / DESIGN_SHORT))
        self._fit_hero()

    def show_hero(self, label: str, counter_text: str, highlighted: bool) -> None:
        self.hero_label = label
        self.hero_counter = counter_text
        self.hero_highlighted = highlighted
        self._fit_hero()

    def show_recent(self, rows: list[tuple[str, str, bool]]) -> None:
        """(label, counter text, highlighted) per line, newest first."""
        box = self.ids.recent
        while len(box.children) > len(rows):
            box.remove_widget(box.children[0])
        while len(box.children) < len(rows):
            box.add_widget(CallRow(unit=self.unit))
        for row, (label, counter_text, highlighted) in zip(
            reversed(box.children), rows, strict=True
        ):
            row.label, row.counter_text, row.highlighted = label, counter_text, highlighted

    def show_fields(self, cards: list[tuple[str, str, str]], note: str) -> None:
        """(field name, waiting, estimated wait) per field; `note` says how fresh they are."""
        box = self.ids.fields
        box.clear_widgets()
        for name, waiting, wait in cards:
            box.add_widget(
                FieldCard(name=name, waiting_text=waiting, wait_text=wait, unit=self.unit)
            )
        self.fields_note = note

    def on_portrait(self, *_args) -> None:
        """The waiting counts go under the large call in landscape, under the list in portrait."""
        box = self.ids.fields_box
        target = self.ids.fields_area_portrait if self.portrait else self.ids.fields_area_landscape
        if box.parent is not target:
            box.parent.remove_widget(box)
            target.add_widget(box)

    def on_unit(self, *_args) -> None:
        for box in (self.ids.recent, self.ids.fields):
            for child in box.children:
                child.unit = self.unit

    @staticmethod
    def row_height(available: float, most: float, rows: int, spacing: float) -> float:
        """The height of each of `rows` lines in `available`: at most `most`, all of them
        inside."""
        rows = max(1, rows)
        return max(1.0, min(most, (available - (rows - 1) * spacing) / rows))

    def _fit_hero(self) -> None:
        """The largest number that fits its panel: the panel's height, or its width for a
        long label."""
        panel = self.ids.get("hero_number")
        if panel is None:
            return
        glyphs = max(4, len(self.hero_label))
        self.hero_font = max(
            10, min(panel.height * 0.8, panel.width * 0.9 / (glyphs * DIGIT_WIDTH))
        )
        line = self.ids.hero_counter
        letters = max(8, len(self.hero_counter))
        by_width = line.width * 0.95 / (letters * LETTER_WIDTH)
        self.hero_counter_font = max(8, min(86 * self.unit, line.height * 0.75, by_width))


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
