"""The code that pairs the officer's computer with this counter's desk page, shown big for the
officer to type on the page; it leaves by itself when the code expires (apps/counter.py)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import BaseScreen


class CounterPairingScreen(BaseScreen):
    """`code` ("123-456"), `desk_url` (where to type it) and `until` (its expiry, HH:MM)."""

    code = StringProperty("")
    desk_url = StringProperty("")
    until = StringProperty("")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
