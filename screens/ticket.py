"""Ticket screen: the big number, then "take your ticket below" or, if printing failed, the number
and its QR large enough to photograph. The ticket stays valid either way."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import NumericProperty, OptionProperty, StringProperty

from kiosk.tickets import WAITING_AHEAD, WAITING_SERVER
from screens.base import BaseScreen


class TicketScreen(BaseScreen):
    label = StringProperty("")
    field_name = StringProperty("")
    priority = StringProperty("")
    waiting_ahead = NumericProperty(0)
    # The msgid that says the count and where it came from (kiosk.tickets.WAITING_AHEAD).
    waiting_words = StringProperty(WAITING_AHEAD[WAITING_SERVER])
    issued_at = StringProperty("")
    qr_payload = StringProperty("")
    print_state = OptionProperty("printing", options=["printing", "printed", "failed"])
    failure_reason = StringProperty("")

    def show_ticket(
        self,
        *,
        label: str,
        field_name: str,
        priority: str,
        waiting_ahead: int,
        waiting_words: str,
        issued_at: str,
        qr_payload: str,
    ) -> None:
        self.label = label
        self.field_name = field_name
        self.priority = priority
        self.waiting_ahead = waiting_ahead
        self.waiting_words = waiting_words
        self.issued_at = issued_at
        self.qr_payload = qr_payload
        self.failure_reason = ""
        self.print_state = "printing"

    def show_printed(self, seconds: float) -> None:
        self.print_state = "printed"
        self.timeout = seconds
        self.restart_idle_timer()

    def show_print_failed(self, reason: str, seconds: float) -> None:
        self.failure_reason = reason
        self.print_state = "failed"
        self.timeout = seconds
        self.restart_idle_timer()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
