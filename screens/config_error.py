"""The screen `kiosk run` shows when the configuration cannot be read: what is wrong (the
configuration's own message, naming the file and the key) and what the technician should do,
in Vietnamese and in English at once, since the configured language is not known."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.anchorlayout import AnchorLayout


class ConfigErrorScreen(AnchorLayout):
    message = StringProperty("")  # the ConfigError's text (English: file, key, what is allowed)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
