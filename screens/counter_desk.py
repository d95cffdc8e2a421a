"""The counter's main screen: facing the citizen, the counter and the number called; at the
bottom, the officer's buttons for the state of the session."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import OptionProperty, StringProperty

from kiosk.i18n import N_
from screens.base import BaseScreen
from screens.widgets import BigButton

# The officer's buttons in each state: (name, msgid, colour, app method, relative width).
ACTIONS = {
    "idle": (
        ("call_next", N_("Call next"), "#1B5E20", "call_next", 1.4),
        ("enter_number", N_("Enter a number"), "#1F4E8C", "open_ticket_entry", 1.0),
        ("sign_out", N_("Sign out"), "#545C66", "sign_out", 0.8),
    ),
    "called": (
        ("recall", N_("Recall"), "#1F4E8C", "recall", 1.0),
        ("skip", N_("No-show"), "#737880", "skip", 1.0),
        ("start_serving", N_("Start serving"), "#1B5E20", "start_serving", 1.3),
    ),
    "serving": (("finish", N_("Finish the session"), "#B71C1C", "open_close_form", 1.0),),
}


class CounterDeskScreen(BaseScreen):
    """`state`: "idle" (no session), "called" (waiting for the citizen) or "serving"."""

    state = OptionProperty("idle", options=["idle", "called", "serving"])
    label = StringProperty("")
    field_name = StringProperty("")
    elapsed = StringProperty("")
    message = StringProperty("")
    prefill = StringProperty("")  # the citizen's ID card data for the forms (masked ID)
    busy_action = StringProperty("")  # the action in flight; the buttons wait for it

    def on_kv_post(self, base_widget) -> None:
        self.build_bar()
        App.get_running_app().bind(language=lambda *_: self.build_bar())

    def on_state(self, *_args) -> None:
        self.build_bar()

    def on_busy_action(self, _instance, busy: str) -> None:
        for button in self.ids.officer_bar.children:
            button.disabled = bool(busy)

    def build_bar(self) -> None:
        """The officer's buttons for the session's state (they never show a rating)."""
        app = App.get_running_app()
        bar = self.ids.officer_bar
        bar.clear_widgets()
        for name, msgid, colour, method, width in ACTIONS[self.state]:
            button = BigButton(
                text=app.t(msgid),
                fill=colour,
                size_hint_x=width,
                font_size=mm(5.5),
                disabled=bool(self.busy_action),
            )
            button.action = name
            button.bind(on_release=lambda _b, m=method: getattr(app, m)())
            bar.add_widget(button)

    def button(self, action: str) -> BigButton:
        return next(b for b in self.ids.officer_bar.children if b.action == action)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
