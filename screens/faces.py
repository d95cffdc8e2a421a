"""The rating faces: a big drawn face (smile to frown) with its words under it.

Drawn with Kivy's canvas rather than emoji: the bundled fonts have no emoji, and a drawn face
looks the same on every panel.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ColorProperty, NumericProperty, StringProperty
from kivy.uix.button import Button

# Colour, mouth curve (+1 smile … -1 frown) and the colour of the words, by position on the
# scale, best first. The words are text on white: their colour has a contrast of 4.5:1 at least
# (the lighter fills are darkened for them).
FACES_3 = (("#2E7D32", 1.0, "#2E7D32"), ("#7CB342", 0.5, "#33691E"), ("#C62828", -1.0, "#C62828"))
FACES_5 = (
    ("#2E7D32", 1.0, "#2E7D32"),
    ("#7CB342", 0.5, "#33691E"),
    ("#F9A825", 0.0, "#7A5C00"),
    ("#EF6C00", -0.5, "#B34700"),
    ("#C62828", -1.0, "#C62828"),
)


class FaceButton(Button):
    """One level of the scale. `mood` bends the mouth: 1 a broad smile, -1 a frown."""

    fill = ColorProperty("#2E7D32")
    ink = ColorProperty("#2E7D32")  # the colour of the words
    mood = NumericProperty(1.0)
    words = StringProperty("")
    level = NumericProperty(1)
    face = NumericProperty(0)  # diameter of the drawn face, set by the kv rule
    face_cy = NumericProperty(0)  # its centre's height


def faces_for(levels: int) -> tuple[tuple[str, float, str], ...]:
    return FACES_3 if levels == 3 else FACES_5


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
