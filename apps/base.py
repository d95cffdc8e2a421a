"""What every role's Kivy app shares: translations, the I/O worker, the sync worker and the
network part of the status line, the watchdog, and the safety net for UI errors.

Threads: the Kivy main thread only draws and reacts. Store writes and network calls run on one
I/O worker (`in_background`), sync on its own thread; every result comes back to the main thread
through `Clock.schedule_once`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, StringProperty

from apps.technician import TECHNICIAN_LIVE_SECONDS, TechnicianMenu
from devices.scanner_envelope import unwrap
from kiosk import watchdog
from kiosk.config import Config, verify_pin
from kiosk.device_health import (
    SCANNER_KEYBOARD,
    DeviceParts,
    HealthMonitor,
)
from kiosk.enrolment import CentralLink
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR
from kiosk.roles import window_title
from kiosk.services import DeviceData
from kiosk.storage_faults import FAULT_NAMES, StorageHealth
from kiosk.store import Pruned
from kiosk.store.signin import Attempt
from kiosk.sync import SyncStatus, SyncWorker
from screens.technician_login import TechnicianLoginScreen

log = logging.getLogger("apps.base")

ENTER_KEYS = (13, 271)
PIN_TRIES = 5
PIN_LOCK_SECONDS = 300
TECHNICIAN_SCOPE = "technician"  # the technician menu's sign-in guard in the store
PRUNE_EVERY_SECONDS = 24 * 3600  # old records are pruned at start, then daily


def in_background(
    worker: ThreadPoolExecutor,
    work: Callable[[], Any],
    done: Callable[[Any], None],
    failed: Callable[[BaseException], None],
) -> None:
    """Runs `work` on `worker`; `done(result)` or `failed(error)` then runs on the main thread."""

    def finished(future: Future) -> None:
        error = future.exception()
        if error is None:
            result = future.result()
            Clock.schedule_once(lambda _dt: done(result))
        else:
            Clock.schedule_once(lambda _dt: failed(error))

    worker.submit(work).add_done_callback(finished)


class DeviceApp(TechnicianMenu, App):
    """The base of the lobby and counter apps. Subclasses build their screens, name their
    first one (`home_screen`) and add their own part of the status line (`device_status`)."""

    home_screen = "welcome"
    # Whether the status line counts the records still to be sent; the lobby's citizens would not
    # know what they are (its technician menu counts them).
    status_counts_pending = True

    language = StringProperty("vi")
    office_name = StringProperty("")
    office_centre = StringProperty("")
    status_text = StringProperty("")
    status_alert = BooleanProperty(False)
    offline_notice = StringProperty("")

    def __init__(
        self,
        config: Config,
        data: DeviceData,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # The window title tells a technician which device a window is (the demo opens two).
        self.title = window_title(config)
        self.settings = config
        self.translator = Translator(LOCALE_DIR, config.device.language)
        self.language = config.device.language
        self.office_name = config.office.name
        self.office_centre = config.office.centre
        self.store = data.store
        # The storage fault the store's writes last met (full, read-only, damaged), named on
        # the status line and the technician screen until a write succeeds again.
        self.storage = StorageHealth(
            config.device.data_dir,
            on_change=lambda: Clock.schedule_once(lambda _dt: self.update_status()),
        )
        data.store.observe_writes(self.storage.observe)
        self._technician_guard = data.store.signin_guard(
            TECHNICIAN_SCOPE, limit=PIN_TRIES, lock_for=timedelta(seconds=PIN_LOCK_SECONDS)
        )
        # The office clock: the device's, or the server's when the two disagree
        # (kiosk.server_clock), so that a wrong clock neither dates records nor ends the day.
        self._office_clock = data.server_clock.now
        self.scanner = None  # devices.scanner.SerialScanner in serial mode
        self._wedge = None  # devices.keyboard_wedge.KeyboardWedge in keyboard mode
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-io")
        self.stopped = False  # shutdown() has run: no more work is started
        self._keep_running = KeepRunning(self)
        self._timers: list = []  # Clock events to cancel at shutdown
        self.sync = SyncWorker.from_config(
            config,
            data.store,
            data.personal,
            on_status=lambda status: Clock.schedule_once(lambda _dt: self._sync_changed(status)),
            server_clock=data.server_clock,
        )
        self.sync_status: SyncStatus = self.sync.status
        # How this device is, for the technician screen, `kiosk doctor` and the fleet page.
        parts = DeviceParts.of(
            config,
            data,
            self.sync,
            printer_state=self.printer_health,
            scanner_state=self._scanner_health,
            storage_fault=lambda: self.storage.fault,
        )
        self.health = HealthMonitor(
            parts,
            CentralLink(config),  # its own: a client is used by one thread
            report_interval=config.health.report_interval,
            change_gap=config.health.change_gap,
            clock=self._office_clock,
        )

    # ----------------------------------------------------------------- life cycle

    def on_start(self) -> None:
        ExceptionManager.add_handler(self._keep_running)
        self.sync.start()
        Clock.schedule_once(lambda _dt: watchdog.notify("READY=1"))
        interval = watchdog.watchdog_interval()
        if interval:
            self.every(interval, lambda: watchdog.notify("WATCHDOG=1"))
        Window.bind(on_key_down=self._on_key)
        self._start_scanner()
        self.every(TECHNICIAN_LIVE_SECONDS, self.show_technician_facts)
        self.health.start()
        self.prune_old_records()
        self.every(PRUNE_EVERY_SECONDS, self.prune_old_records)

    def on_stop(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stops the workers; safe to call twice. Subclasses stop theirs first."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        if self._wedge is not None:
            Window.unbind(on_textinput=self._on_text)
            self._wedge = None
        Window.unbind(on_key_down=self._on_key)
        if self._keep_running in ExceptionManager.handlers:
            ExceptionManager.remove_handler(self._keep_running)
        self.sync.stop(timeout=2)
        self.health.stop(timeout=2)
        self.stopped = True
        self._io.shutdown(wait=True)
        self.store.close()

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        """Enter ends a keyboard-wedge scan."""
        if key in ENTER_KEYS and self._wedge is not None:
            self._wedge_key("\n")
        return False

    # ----------------------------------------------------------------- the QR scanner

    def on_scan(self, payload: bytes) -> None:
        """A code the QR scanner read, without its envelope, on the main thread; each role
        decides what it means on the screen shown (and ignores it elsewhere)."""

    def _scanned(self, line: bytes) -> None:
        """A line from the scanner, on the main thread: its envelope taken off
        (devices.scanner_envelope), then shown on the technician screen or given to the role."""
        read = unwrap(line, self.settings.scanner.envelope_settings)
        if not self.technician_scan(read):
            self.on_scan(read.payload)

    def scanner_changed(self, state: str) -> None:
        """The serial scanner is "connected" or "disconnected" now, on the main thread."""

    def printer_health(self) -> str | None:
        """The printer's state for the health report (a PrinterState value), None for a role
        without a printer. Called from the health monitor's thread: it only reads."""
        return None

    def _scanner_health(self) -> str | None:
        if self.scanner is not None:
            return self.scanner.state
        return SCANNER_KEYBOARD if self._wedge is not None else None

    def _start_scanner(self) -> None:
        scanner = self.settings.scanner
        if scanner.mode == "serial":
            from devices.scanner import SerialScanner

            self.scanner = SerialScanner(
                scanner.url,
                baudrate=scanner.baudrate,
                suffix=scanner.suffix,
                debounce_s=scanner.debounce_seconds,
                on_line=lambda line: Clock.schedule_once(lambda _dt: self._scanned(line)),
                on_state=lambda state: (
                    self.health.poke(),
                    Clock.schedule_once(lambda _dt: self.scanner_changed(state)),
                ),
            )
            self.scanner.start()
        elif scanner.mode == "keyboard":
            from devices.keyboard_wedge import KeyboardWedge

            self._wedge = KeyboardWedge(debounce_s=scanner.debounce_seconds)
            Window.bind(on_textinput=self._on_text)

    def _on_text(self, _window: Any, text: str) -> None:
        self._wedge_key(text)

    def _wedge_key(self, text: str) -> None:
        line = self._wedge.key(text, time.monotonic())
        if line is not None:
            self._scanned(line.encode("utf-8"))

    def every(self, seconds: float, action: Callable[[], Any]) -> None:
        """Runs `action` on the main thread every `seconds` until the app stops."""
        self._timers.append(Clock.schedule_interval(lambda _dt: action(), seconds))

    def open_settings(self, *largs: Any) -> bool:
        """Kivy's settings panel (F1) must never open on a public kiosk."""
        return False

    def go_home(self) -> None:
        """Back to the role's first screen, in the device's language."""
        self.language = self.settings.device.language
        self.root.current = self.home_screen

    # ----------------------------------------------------------------- technician

    def open_technician_login(self) -> None:
        """The hidden way in (a long press), from the role's first screen only."""
        if self.root.current == self.home_screen and self.root.has_screen("technician_login"):
            self.root.current = "technician_login"

    def check_technician_pin(self, pin: str) -> None:
        """Wrong PINs lock the menu for a while; the count and the lock are kept in the store,
        so a restart does not clear them."""
        screen: TechnicianLoginScreen = self.root.get_screen("technician_login")

        def checked(attempt: Attempt) -> None:
            if attempt.passed:
                log.info("technician signed in on screen")
                if self.root.current == "technician_login":
                    self.root.current = "technician"
                return
            if attempt.wrong_in_a_row:
                log.warning("wrong technician PIN (%d in a row)", attempt.wrong_in_a_row)
            if attempt.locked_until is not None:
                screen.show_refused(self.t("Too many wrong PINs. Try again in a few minutes."))
            else:
                screen.show_refused(self.t("Wrong PIN."))

        def failed(error: BaseException) -> None:
            log.error("PIN check failed: %s", error)
            screen.show_refused(self.t("Wrong PIN."))

        pin_hash = self.settings.technician.pin_hash
        guard = self._technician_guard
        self.in_background(
            lambda: guard.attempt(lambda: verify_pin(pin, pin_hash), self._office_clock),
            checked,
            failed,
        )

    def prune_old_records(self) -> None:
        """Delete, on the I/O worker, the delivered records of office days older than
        [store] keep_days (kiosk.store.pruning), and give their space back."""
        today = self.settings.office.day_rule.day_of(self._office_clock())
        keep_from = today - timedelta(days=self.settings.store.keep_days)

        def pruned(result: Pruned) -> None:
            if result.tickets or result.sessions:
                log.info(
                    "pruned %d tickets and %d counter sessions of office days before %s: "
                    "the store went from %d to %d kB",
                    result.tickets,
                    result.sessions,
                    keep_from,
                    result.size_before // 1024,
                    result.size_after // 1024,
                )

        self.in_background(
            lambda: self.store.prune(keep_from),
            pruned,
            lambda error: log.error("old records could not be pruned: %s", error),
        )

    # ----------------------------------------------------------------- helpers

    def t(self, msgid: str, _language: str | None = None) -> str:
        """Translates for the screen. kv passes `app.language` so the text follows a switch."""
        return self.translator.gettext(msgid, self.language)

    def field_name(self, field_id: str) -> str:
        field = self.settings.catalogue.get(field_id)
        return field.name(self.language) if field else field_id

    def in_background(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """Runs `work` on the I/O worker; `done`/`failed` run on the main thread. Once the app
        has stopped nothing more runs (a timer of its screens may still fire, e.g. in tests
        where another app follows it in the same process)."""
        if self.stopped:
            log.info("not run: the app has stopped")
            return
        in_background(self._io, work, done, failed)

    # ----------------------------------------------------------------- status line

    def device_status(self) -> tuple[str, bool]:
        """This role's part of the status line and whether it is an alert."""
        return "", False

    def _sync_changed(self, status: SyncStatus) -> None:
        self.sync_status = status
        self.health.poke()
        self.update_status()

    def _network_words(self) -> str:
        status = self.sync_status
        waiting = (
            "  ·  " + self.t("{count} records waiting to be sent").format(count=status.pending)
            if status.pending and self.status_counts_pending
            else ""
        )
        if status.state == "not_configured":
            return self.t("Central server: not configured") + waiting
        if status.state == "unauthorized":
            return self.t("This device is not authorised by the central server") + waiting
        if status.state == "offline":
            since = status.offline_since
            if since is None:
                return self.t("Connecting to the central server…") + waiting
            local = since.astimezone(self.settings.office.timezone)
            return self.t("Offline since {time}").format(time=f"{local:%H:%M}") + waiting
        return self.t("Central server: connected") + waiting

    def _clock_words(self) -> str:
        """The device clock against the server's, when they disagree beyond the margin."""
        off = self.sync_status.clock_off_minutes
        if off is None:
            return ""
        if off > 0:
            return self.t("Device clock {minutes} min slow: using the server's time").format(
                minutes=off
            )
        return self.t("Device clock {minutes} min fast: using the server's time").format(
            minutes=-off
        )

    def _storage_words(self) -> str:
        """The storage fault by name: no ticket or session can be recorded while it lasts."""
        fault = self.storage.fault
        if fault is None:
            return ""
        return self.t("{fault}: nothing can be recorded").format(fault=self.t(FAULT_NAMES[fault]))

    def update_status(self) -> None:
        storage = self._storage_words()
        device, alert = self.device_status()
        clock = self._clock_words()
        status = self.sync_status
        # A clock measured against the server says it is connected: the line stays short
        # enough for a 7-inch panel.
        connected = status.state == "online" and not (status.pending and self.status_counts_pending)
        network = "" if clock and connected else self._network_words()
        parts = [part for part in (storage, device, clock, network) if part]
        self.status_text = "  ·  ".join(parts)
        self.status_alert = bool(storage) or alert or self.sync_status.clock_off_minutes is not None
        offline = self.sync_status.state == "offline" and self.sync_status.offline_since
        self.offline_notice = (
            self.t(
                "Lost connection to the server – tickets are still issued, the data will be "
                "sent when the network is back."
            )
            if offline
            else ""
        )

    def on_language(self, _instance: Any, _value: str) -> None:
        self.update_status()


class KeepRunning(ExceptionHandler):
    """A bug in a screen callback must not leave a citizen in front of a dead kiosk: log it
    with its traceback (the log names no person) and start over at the first screen."""

    def __init__(self, app: DeviceApp) -> None:
        super().__init__()
        self._app = app

    def handle_exception(self, exception: BaseException) -> int:
        if isinstance(exception, KeyboardInterrupt | SystemExit):
            return ExceptionManager.RAISE
        log.exception("unexpected error in the UI loop; back to the first screen")
        Clock.schedule_once(lambda _dt: self._app.go_home())
        return ExceptionManager.PASS


def configure_window(config: Config) -> None:
    """Size the window for the configured panel before the first frame."""
    if config.panel.fullscreen:
        Window.fullscreen = "auto"
    else:
        Window.size = (config.panel.width, config.panel.height)
