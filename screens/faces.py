"""The rating faces: a big drawn face (smile to frown) with its words under it.

Drawn with Kivy's canvas rather than emoji: the bundled fonts have no emoji, and a drawn face
looks the same on every panel.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ColorProperty, NumericProperty, StringProperty
from kivy.uix.button import Button

# Colour and mouth curve (+1 smile … -1 frown) by position on the scale, best first.
FACES_3 = (("#2E7D32", 1.0), ("#7CB342", 0.5), ("#C62828", -1.0))
FACES_5 = (
    ("#2E7D32", 1.0),
    ("#7CB342", 0.5),
    ("#F9A825", 0.0),
    ("#EF6C00", -0.5),
    ("#C62828", -1.0),
)


class FaceButton(Button):
    """One level of the scale. `mood` bends the mouth: 1 a broad smile, -1 a frown."""

    fill = ColorProperty("#2E7D32")
    mood = NumericProperty(1.0)
    words = StringProperty("")
    level = NumericProperty(1)
    face = NumericProperty(0)  # diameter of the drawn face, set by the kv rule
    face_cy = NumericProperty(0)  # its centre's height


def faces_for(levels: int) -> tuple[tuple[str, float], ...]:
    return FACES_3 if levels == 3 else FACES_5


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
