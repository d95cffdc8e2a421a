"""The app `kiosk run` starts instead of the role's when the configuration cannot be read, or
the device's data cannot be used (a damaged database, a card gone read-only, a full disk): the
error on the device's own screen until it is fixed (`StartProblem` says which of the two).

It needs nothing from the configuration: the shipped panel size (fullscreen under KMS/DRM, as
the service runs), Kivy's bundled fonts, both languages. Under systemd it reports ready with a
STATUS= that says "Configuration error" or "Storage fault" (the installer's readiness check
reads it) and pings the watchdog, so that the unit neither times out nor restarts it. Every
`check_every` seconds a worker tries again (reads the configuration, or opens the data); once
that works, the app ends and `kiosk run` exits 0 for systemd to start the kiosk again
(Restart=always). Started by apps.launch.show_config_error or show_storage_fault, with the
retry from the command line (kiosk.cli.run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk import paths, watchdog
from kiosk.config import ConfigError
from kiosk.i18n import N_, Translator
from kiosk.services import DataUnavailable
from screens.config_error import ConfigErrorScreen

log = logging.getLogger("apps.config_error")


@dataclass(frozen=True)
class StartProblem:
    """What kept the kiosk from starting: the screen's heading and advice (msgids), the command
    that tells more, the error that says it is not fixed yet, and the first words of the STATUS=
    it reports to systemd (install/release.sh's readiness check looks for them)."""

    title: str
    advice: str
    command: str
    persists: type[Exception]
    status: str
    window_title: str


CONFIGURATION = StartProblem(
    N_("The kiosk cannot start: its settings have an error"),
    N_(
        "Technician: correct this setting in the file named above. The kiosk starts again by"
        " itself once the file is correct."
    ),
    "sudo -u kiosk kiosk check-config",
    ConfigError,
    "Configuration error",
    "Kiosk: configuration error",
)
STORAGE = StartProblem(
    N_("The kiosk cannot start: its data cannot be used"),
    N_(
        "Technician: the message above names the fault and its fix; nothing has been deleted."
        " The kiosk starts again by itself once it is fixed."
    ),
    "sudo -u kiosk kiosk doctor",
    DataUnavailable,
    "Storage fault",
    "Kiosk: storage fault",
)


class _KeepShowing(ExceptionHandler):
    """An error in the UI loop is logged and the screen stays: it is the technician's only
    message."""

    def handle_exception(self, exception: BaseException) -> int:
        if isinstance(exception, KeyboardInterrupt | SystemExit):
            return ExceptionManager.RAISE
        log.exception("unexpected error on the configuration error screen")
        return ExceptionManager.PASS


class ConfigErrorApp(App):
    """The error, and `reload` tried again every `check_every` seconds off the main thread;
    `fixed` once it no longer raises `problem.persists`."""

    message = StringProperty("")

    def __init__(
        self,
        message: str,
        reload: Callable[[], object],
        *,
        check_every: float,
        problem: StartProblem = CONFIGURATION,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.problem = problem
        self.title = problem.window_title
        self.message = message
        self.fixed = False
        self._reload = reload
        self._check_every = check_every
        self._translator = Translator(paths.LOCALE_DIR, "vi")
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="config-check")
        self._pending: Future | None = None
        self._timers: list = []
        self._keep_showing = _KeepShowing()

    def t(self, msgid: str, language: str) -> str:
        return self._translator.gettext(msgid, language)

    def build(self) -> Any:
        screen = ConfigErrorScreen()
        self.bind(message=screen.setter("message"))
        screen.message = self.message
        return screen

    def on_start(self) -> None:
        ExceptionManager.add_handler(self._keep_showing)
        Clock.schedule_once(lambda _dt: self._report_status())
        interval = watchdog.watchdog_interval()
        if interval:
            self._timers.append(
                Clock.schedule_interval(lambda _dt: watchdog.notify("WATCHDOG=1"), interval)
            )
        self._timers.append(Clock.schedule_interval(self._check, self._check_every))

    def on_stop(self) -> None:
        if self._keep_showing in ExceptionManager.handlers:
            ExceptionManager.remove_handler(self._keep_showing)
        for timer in self._timers:
            timer.cancel()
        self._reader.shutdown(wait=True)

    def _report_status(self) -> None:
        first_line = self.message.splitlines()[0] if self.message else ""
        watchdog.notify(f"READY=1\nSTATUS={self.problem.status}: {first_line}")

    def _check(self, _dt: float) -> None:
        if self._pending is not None and not self._pending.done():
            return
        self._pending = self._reader.submit(self._read)

    def _read(self) -> None:
        try:
            self._reload()
        except self.problem.persists as error:
            message = str(error)
            Clock.schedule_once(lambda _dt: self._still_wrong(message))
        else:
            Clock.schedule_once(lambda _dt: self._fixed())

    def _still_wrong(self, message: str) -> None:
        if message != self.message:  # another mistake now: show that one
            log.error("%s: %s", self.problem.title, message)
            self.message = message
            self._report_status()

    def _fixed(self) -> None:
        log.info("the configuration can be read now; the kiosk starts again")
        self.fixed = True
        self.stop()
