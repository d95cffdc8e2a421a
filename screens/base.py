"""What every kiosk screen shares: an idle timeout back to the welcome screen, announced a few
seconds before it happens."""

from __future__ import annotations

import math
import time

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.screenmanager import Screen

WARNING_ASK = "ask"  # "Are you still there?" in place of the screen's content
WARNING_COUNTDOWN = "countdown"  # the content stays; the screen shows `seconds_left` itself


class BaseScreen(Screen):
    """A screen that returns to the welcome screen after `timeout` seconds without a touch.

    A timeout of 0 keeps the screen (the welcome screen itself). Any touch restarts the count,
    so a citizen who is still reading is not interrupted. With `warning` seconds, the screen says
    so that long before it resets: in the "ask" style (`warning_style`) the question replaces the
    content, so what the screen held (a citizen's data) is no longer shown, and a touch anywhere
    answers it and only that; in the "countdown" style the screen shows `seconds_left` itself.
    """

    timeout = NumericProperty(0)
    warning = NumericProperty(0)
    seconds_left = NumericProperty(0)  # while warning: whole seconds before the reset, else 0
    warning_style = WARNING_ASK

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._idle_event = None
        self._tick_event = None
        self._reset_at = 0.0
        self._question = None  # the "are you still there?" panel while it is shown
        self._hidden: list[tuple[object, float]] = []
        self._app = App.get_running_app()  # the app this screen belongs to, not a later one

    def on_enter(self, *args) -> None:
        self.restart_idle_timer()

    def on_leave(self, *args) -> None:
        self._cancel_idle_timer()

    def on_timeout(self, *args) -> None:
        if self.manager and self.manager.current == self.name:
            self.restart_idle_timer()

    @property
    def warning_shown(self) -> bool:
        return self.seconds_left > 0

    def restart_idle_timer(self) -> None:
        self._cancel_idle_timer()
        if self.timeout <= 0:
            return
        quiet = self.timeout - self.warning
        if self.warning > 0 and quiet > 0:
            self._idle_event = Clock.schedule_once(self._warn, quiet)
        else:
            self._idle_event = Clock.schedule_once(self._idle_expired, self.timeout)

    def _cancel_idle_timer(self) -> None:
        for event in (self._idle_event, self._tick_event):
            if event is not None:
                event.cancel()
        self._idle_event = self._tick_event = None
        self._end_warning()

    def _warn(self, _dt: float) -> None:
        self._idle_event = None
        if not (self.manager and self.manager.current == self.name):
            return
        self._reset_at = time.monotonic() + self.warning
        self.seconds_left = math.ceil(self.warning)
        if self.warning_style == WARNING_ASK:
            self._ask()
        self._tick_event = Clock.schedule_interval(self._tick, 0.2)

    def _tick(self, _dt: float) -> None:
        left = self._reset_at - time.monotonic()
        if left <= 0:
            self._idle_expired(0)
        else:
            self.seconds_left = math.ceil(left)

    def _ask(self) -> None:
        from screens.widgets import IdleQuestion  # widgets load their kv rules: not at import

        self._hidden = [(child, child.opacity) for child in self.children]
        for child, _opacity in self._hidden:
            child.opacity = 0
        self._question = IdleQuestion(screen=self)
        self.add_widget(self._question)

    def _end_warning(self) -> None:
        self.seconds_left = 0
        if self._question is not None:
            self.remove_widget(self._question)
            self._question = None
        for child, opacity in self._hidden:
            child.opacity = opacity
        self._hidden = []

    def still_here(self) -> None:
        """Someone answered "are you still there?"; a screen may send them elsewhere."""

    def _idle_expired(self, _dt: float) -> None:
        self._cancel_idle_timer()
        # Not once its app has stopped and another runs (the tests run one app after another).
        if App.get_running_app() is not self._app or getattr(self._app, "stopped", False):
            return
        if self.manager and self.manager.current == self.name:
            self._app.go_home()

    def on_touch_down(self, touch) -> bool:
        if self.manager and self.manager.current == self.name:
            answered = self._question is not None
            self.restart_idle_timer()
            if answered:
                self.still_here()
                return True  # the touch answered "are you still there?", nothing under it
        return super().on_touch_down(touch)
