"""The counter's main screen: facing the citizen, the counter and the number called; at the
bottom, the officer's buttons for the state of the session."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from kiosk.i18n import N_
from screens.base import BaseScreen
from screens.widgets import BigButton

# The code pairing the officer's computer with this counter's desk page (apps/counter.py), asked
# for in any state of the session.
PAIR = ("pair_desk", N_("Pair computer"), "#1F4E8C", "pair_desk", 1.0)

# The officer's buttons in each state: (name, msgid, colour, app method, relative width).
# "No-show" is not in the bar: it is on the called ticket's line (ids.skip), where no button of
# the idle bar ever is. It asks first: the bar becomes one "Back", so a tap where a button just
# was cancels, and "Confirm" (ids.confirm_skip) appears beside the question, where no button
# ever is in another state.
ACTIONS = {
    "idle": (
        ("call_next", N_("Call next"), "#1B5E20", "call_next", 1.4),
        ("enter_number", N_("Enter a number"), "#1F4E8C", "open_ticket_entry", 1.0),
        PAIR,
        ("sign_out", N_("Sign out"), "#545C66", "sign_out", 0.8),
    ),
    "called": (
        ("recall", N_("Recall"), "#1F4E8C", "recall", 1.0),
        ("start_serving", N_("Start serving"), "#1B5E20", "start_serving", 1.3),
        PAIR,
    ),
    "serving": (("finish", N_("Finish the session"), "#B71C1C", "open_close_form", 1.3), PAIR),
    "confirm_skip": (("cancel_skip", N_("Back"), "#545C66", "cancel_skip", 1.0),),
}
HIGHLIGHT_SECONDS = 3.0  # how long a recalled number stays highlighted


class CounterDeskScreen(BaseScreen):
    """`state`: "idle" (no session), "called" (waiting for the citizen) or "serving".
    `confirming`: the officer is asked whether to skip the called ticket (`question`).
    `message` is what the last action said (`message_kind` "info" or "error"); each action
    clears it."""

    state = OptionProperty("idle", options=["idle", "called", "serving"])
    label = StringProperty("")
    priority = BooleanProperty(False)
    field_name = StringProperty("")
    elapsed = StringProperty("")
    message = StringProperty("")
    message_kind = OptionProperty("info", options=["info", "error"])
    question = StringProperty("")
    prefill = StringProperty("")  # the citizen's ID card data for the forms (masked ID)
    busy_action = StringProperty("")  # the action in flight; the buttons wait for it
    confirming = BooleanProperty(False)
    highlight = BooleanProperty(False)  # the number was just called again
    button_font = NumericProperty(mm(5))  # the officer's buttons' text, by the panel's height

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._highlight_end = None

    def on_kv_post(self, base_widget) -> None:
        self.build_bar()
        App.get_running_app().bind(language=lambda *_: self.build_bar())

    def on_state(self, *_args) -> None:
        self.confirming = False
        self.highlight = False
        self.build_bar()

    def on_confirming(self, *_args) -> None:
        self.build_bar()

    def on_busy_action(self, _instance, busy: str) -> None:
        for button in (*self.ids.officer_bar.children, self.ids.skip, self.ids.confirm_skip):
            button.disabled = bool(busy)

    def say(self, text: str, kind: str = "info") -> None:
        self.message_kind = kind
        self.message = text

    def flash(self) -> None:
        """Highlights the number for a moment (it was just called again)."""
        if self._highlight_end is not None:
            self._highlight_end.cancel()
        self.highlight = True
        self._highlight_end = Clock.schedule_once(
            lambda _dt: setattr(self, "highlight", False), HIGHLIGHT_SECONDS
        )

    def build_bar(self) -> None:
        """The officer's buttons for the session's state (they never show a rating)."""
        app = App.get_running_app()
        bar = self.ids.officer_bar
        bar.clear_widgets()
        for name, msgid, colour, method, width in ACTIONS[self.bar_state()]:
            button = BigButton(
                text=app.t(msgid),
                fill=colour,
                size_hint_x=width,
                font_size=self.button_font,
                disabled=bool(self.busy_action),
            )
            button.action = name
            button.bind(on_release=lambda _b, m=method: getattr(app, m)())
            bar.add_widget(button)

    def bar_state(self) -> str:
        return "confirm_skip" if self.confirming else self.state

    def on_height(self, *_args) -> None:
        self.button_font = min(mm(5.5), max(mm(4), self.height * 0.05))
        bar = self.ids.get("officer_bar")
        for button in bar.children if bar else ():
            button.font_size = self.button_font

    def button(self, action: str) -> BigButton:
        if action in ("skip", "confirm_skip"):
            return self.ids[action]
        return next(b for b in self.ids.officer_bar.children if b.action == action)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
