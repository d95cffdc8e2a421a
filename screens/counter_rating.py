"""The citizen's half of the dual rating, facing the citizen: the question and big faces.

The officer's buttons are not on this screen, and nothing the citizen chooses is shown on the
officer's screens afterwards.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty

from screens.base import BaseScreen
from screens.faces import FaceButton, faces_for


class CounterRatingScreen(BaseScreen):
    question = StringProperty("")
    seconds_left = NumericProperty(0)

    def show_scale(self, question: str, labels: list[str]) -> None:
        self.question = question
        row = self.ids.faces
        row.clear_widgets()
        for level, ((colour, mood, ink), words) in enumerate(
            zip(faces_for(len(labels)), labels, strict=True), start=1
        ):
            face = FaceButton(fill=colour, ink=ink, mood=mood, words=words, level=level)
            face.bind(on_release=lambda f: App.get_running_app().citizen_pressed(f.level))
            row.add_widget(face)


class CounterReasonsScreen(BaseScreen):
    """Asked after a negative rating: what went wrong (several may be chosen)."""

    seconds_left = NumericProperty(0)


class CounterThanksScreen(BaseScreen):
    pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
