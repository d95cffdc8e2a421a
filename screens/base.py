"""What every kiosk screen shares: an idle timeout back to the welcome screen."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.screenmanager import Screen


class BaseScreen(Screen):
    """A screen that returns to the welcome screen after `timeout` seconds without a touch.

    A timeout of 0 keeps the screen (the welcome screen itself). Any touch restarts the count,
    so a citizen who is still reading is not interrupted.
    """

    timeout = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._idle_event = None
        self._app = App.get_running_app()  # the app this screen belongs to, not a later one

    def on_enter(self, *args) -> None:
        self.restart_idle_timer()

    def on_leave(self, *args) -> None:
        self._cancel_idle_timer()

    def on_timeout(self, *args) -> None:
        if self.manager and self.manager.current == self.name:
            self.restart_idle_timer()

    def restart_idle_timer(self) -> None:
        self._cancel_idle_timer()
        if self.timeout > 0:
            self._idle_event = Clock.schedule_once(self._idle_expired, self.timeout)

    def _cancel_idle_timer(self) -> None:
        if self._idle_event is not None:
            self._idle_event.cancel()
            self._idle_event = None

    def _idle_expired(self, _dt: float) -> None:
        self._idle_event = None
        # Not once its app has stopped and another runs (the tests run one app after another).
        if App.get_running_app() is not self._app:
            return
        if self.manager and self.manager.current == self.name:
            self._app.go_home()

    def on_touch_down(self, touch) -> bool:
        if self.manager and self.manager.current == self.name:
            self.restart_idle_timer()
        return super().on_touch_down(touch)
