"""Consent before the ID card is read: what is read and why, and the citizen's free choice.

Neither answer is pre-selected, and saying no costs nothing: the ticket is issued either way.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from screens.base import BaseScreen


class IdConsentScreen(BaseScreen):
    pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
