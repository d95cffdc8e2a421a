"""What every role's Kivy app shares: translations, the I/O worker, the sync worker and the
network part of the status line, the watchdog, and the safety net for UI errors.

Threads: the Kivy main thread only draws and reacts. Store writes and network calls run on one
I/O worker (`in_background`), sync on its own thread; every result comes back to the main thread
through `Clock.schedule_once`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, StringProperty

from common.version import __version__
from kiosk import watchdog
from kiosk.config import Config, verify_pin
from kiosk.device_health import (
    SCANNER_KEYBOARD,
    STORAGE_DATABASE_ERROR,
    STORAGE_FULL,
    STORAGE_OK,
    STORAGE_READ_ONLY,
    DeviceHealth,
    DeviceParts,
    HealthMonitor,
)
from kiosk.diagnostics import CHECK_TITLES, CHECKS, Finding, run_checks
from kiosk.enrolment import CentralLink
from kiosk.i18n import N_, Translator
from kiosk.log_export import FAILED, NO_STICK, STICK_ROOTS, ExportFailed, find_sticks
from kiosk.log_export import export_logs as export_logs_to
from kiosk.paths import LOCALE_DIR
from kiosk.roles import window_title
from kiosk.scan_reading import describe_scan
from kiosk.services import DeviceData
from kiosk.storage_faults import FAULT_NAMES, StorageHealth
from kiosk.store.signin import Attempt
from kiosk.sync import SyncStatus, SyncWorker
from screens.technician_login import TechnicianLoginScreen

log = logging.getLogger("apps.base")

ENTER_KEYS = (13, 271)
PIN_TRIES = 5
PIN_LOCK_SECONDS = 300
TECHNICIAN_SCOPE = "technician"  # the technician menu's sign-in guard in the store
ROLE_NAMES = {
    "lobby": N_("lobby kiosk"),
    "counter": N_("counter terminal"),
    "display": N_("hall display"),
}
MB = 1_000_000
RECENT_ERRORS_SHOWN = 5
# The doctor's checks the technician screen runs: not the printer's and the scanner's, whose
# ports the running app holds (it shows their state from its own drivers).
SCREEN_CHECKS = tuple(name for name in CHECKS if name not in ("printer", "scanner"))
FINDING_MARKS = {"ok": N_("OK"), "warning": N_("Warning"), "fault": N_("Fault")}
TECHNICIAN_LIVE_SECONDS = 1.0  # the technician screen follows the health snapshot
# kiosk.device_health's storage states, for the technician.
STORAGE_WORDS = {
    STORAGE_OK: N_("working"),
    STORAGE_READ_ONLY: N_("read-only: nothing can be saved"),
    STORAGE_FULL: N_("full: nothing can be saved"),
    STORAGE_DATABASE_ERROR: N_("the database cannot be read"),
}


class DeviceApp(App):
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

    # Where the technician's USB stick is looked for (kiosk.log_export; tests mount their own).
    stick_roots: tuple[Path, ...] = STICK_ROOTS

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
        self._technician_records: Any = None  # technician_records(), last read
        self._findings: list[Finding] | None = None  # the doctor's, last run (None: running)
        self._checking = False
        self._exporting = False
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-io")
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
        self._io.shutdown(wait=True)
        self.store.close()

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        """Enter ends a keyboard-wedge scan."""
        if key in ENTER_KEYS and self._wedge is not None:
            self._wedge_key("\n")
        return False

    # ----------------------------------------------------------------- the QR scanner

    def on_scan(self, payload: bytes) -> None:
        """A line the QR scanner read, on the main thread; each role decides what it means
        on the screen shown (and ignores it elsewhere)."""

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
                on_line=lambda line: Clock.schedule_once(lambda _dt: self.on_scan(line)),
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
            self.on_scan(line.encode("utf-8"))

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

    def refresh_technician_view(self) -> None:
        """Asks for fresh facts: the health monitor looks again at once (kiosk.device_health)
        and the role's records are read on the I/O worker (technician_records). While the
        screen is shown its facts follow the monitor's latest snapshot (TECHNICIAN_LIVE_SECONDS)."""
        self.health.poke()
        self._run_checks()
        screen = self.root.get_screen("technician")

        def read(records: Any) -> None:
            self._technician_records = records
            self.technician_records_shown(records)
            self.show_technician_facts()

        self.in_background(
            self.technician_records,
            read,
            lambda error: screen.show_message(self._records_unreadable(error)),
        )

    def _run_checks(self) -> None:
        """The doctor's checks (kiosk.diagnostics) on a thread of their own: they may wait for
        the server for seconds, and the I/O worker must stay free for the screens."""
        if self._checking:
            return
        self._checking, self._findings = True, None
        self.show_technician_facts()  # says they are being checked
        config = self.settings

        def checked(findings: list[Finding]) -> None:
            self._checking, self._findings = False, findings
            self.show_technician_facts()

        def run() -> None:
            findings = run_checks(config, only=SCREEN_CHECKS)  # a failing check is a finding
            Clock.schedule_once(lambda _dt: checked(findings))

        threading.Thread(target=run, name="kiosk-doctor", daemon=True).start()

    def finding_rows(self, findings: list[Finding] | None) -> list[tuple[str, str]]:
        """The doctor's findings: the check, its status and summary, and the fix of a problem
        (None: the checks are running)."""
        if findings is None:
            return [(self.t("Checks"), self.t("being checked…"))]
        rows = []
        for finding in findings:
            words = (
                f"{self.t(FINDING_MARKS[finding.status])}: {finding.summary_text.render(self.t)}"
            )
            if finding.fix_text is not None:
                words += "\n" + self.t("Fix: {fix}").format(fix=finding.fix_text.render(self.t))
            rows.append((self.t(CHECK_TITLES.get(finding.check, finding.check)), words))
        return rows

    def technician_records(self) -> Any:
        """On the I/O worker: what the role's technician screen shows of its records."""
        return None

    def technician_records_shown(self, records: Any) -> None:
        """On the main thread, once the role's records were read."""

    def show_technician_facts(self) -> None:
        """The device's facts of the latest health snapshot, then the role's (main thread)."""
        if self.root is None or self.root.current != "technician":
            return
        findings = self._findings
        problems = None if findings is None else [f for f in findings if f.status != "ok"]
        passed = None if findings is None else [f for f in findings if f.status == "ok"]
        # The doctor's problems first: what the technician came for.
        rows = [
            *self.finding_rows(problems or []),
            *self.device_fact_rows(self.health.latest()),
            *self.role_fact_rows(),
            *self.finding_rows(passed),
        ]
        self.root.get_screen("technician").show_facts(rows)

    def role_fact_rows(self) -> list[tuple[str, str]]:
        """This role's facts, as (name, value) rows; on the main thread, from memory."""
        return []

    def device_fact_rows(self, health: DeviceHealth | None) -> list[tuple[str, str]]:
        """The facts every role shows, in the screen's words."""
        cfg = self.settings
        zone = cfg.office.timezone
        role = ROLE_NAMES.get(cfg.device.role, cfg.device.role)
        rows = [
            (self.t("Version"), __version__),
            (self.t("Device"), f"{cfg.device.id} · {self.t(role)}"),
            (self.t("Office"), f"{cfg.office.name} ({cfg.office.code})"),
            (self.t("Network"), self._network_words()),
        ]
        if health is None:
            return [*rows, (self.t("State"), self.t("being checked…"))]
        minutes = int(health.uptime_seconds) // 60
        uptime = self.t("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)
        last_sync = (
            self.t("never since the start")
            if health.last_sync_at is None
            else f"{health.last_sync_at.astimezone(zone):%H:%M:%S %d/%m}"
        )
        waiting = str(health.outbox_pending)
        if health.outbox_oldest_at is not None:
            oldest = health.outbox_oldest_at.astimezone(zone)
            waiting += " · " + self.t("oldest from {time}").format(time=f"{oldest:%H:%M %d/%m}")
        if health.outbox_quarantined:
            waiting += " · " + self.t("{count} refused by the server").format(
                count=health.outbox_quarantined
            )
        return [
            *rows,
            (self.t("Last successful sync"), last_sync),
            (self.t("Clock"), self._offset_words(health.clock_offset_seconds)),
            (self.t("Events waiting to be sent"), waiting),
            (self.t("Storage"), self._storage_fact(health)),
            (self.t("Running for"), uptime),
            (self.t("Recent errors"), self._error_lines(health) or self.t("none")),
        ]

    def _offset_words(self, offset: float | None) -> str:
        if offset is None:
            return self.t("not measured against the server yet")
        if abs(offset) < 1:
            return self.t("the same as the server's")
        if offset > 0:
            return self.t("{seconds} s behind the server").format(seconds=round(offset))
        return self.t("{seconds} s ahead of the server").format(seconds=round(-offset))

    def _storage_fact(self, health: DeviceHealth) -> str:
        """The fault the store's writes met (at once), else the health snapshot's state."""
        state = self.t(STORAGE_WORDS.get(health.storage, health.storage))
        words = [self._storage_words() or state]
        if health.disk_free_bytes is not None:
            words.append(
                self.t("{free} MB free of {total} MB").format(
                    free=health.disk_free_bytes // MB, total=(health.disk_total_bytes or 0) // MB
                )
            )
        return " · ".join(words)

    def _error_lines(self, health: DeviceHealth) -> str:
        """The last RECENT_ERRORS_SHOWN errors, time and message, a message repeated at once
        shown once with its count (a fault that repeats does not hide the others)."""
        zone = self.settings.office.timezone
        collapsed: list[list[Any]] = []  # [time, message, times]
        for note in health.recent_errors:
            if collapsed and collapsed[-1][1] == note.message:
                collapsed[-1][0] = note.at
                collapsed[-1][2] += 1
            else:
                collapsed.append([note.at, note.message, 1])
        return "\n".join(
            f"{at.astimezone(zone):%H:%M:%S} {message}" + (f" (×{times})" if times > 1 else "")
            for at, message, times in collapsed[-RECENT_ERRORS_SHOWN:]
        )

    def scanner_words(self) -> str:
        """The scanner's state for the technician."""
        scanner = self.settings.scanner
        if scanner.mode == "none":
            return self.t("not used")
        if scanner.mode == "keyboard":
            return self.t(
                "in keyboard mode: it cannot type Vietnamese reliably; set the scanner to USB"
                " serial (CDC) mode."
            )
        state = self.scanner.state if self.scanner is not None else "disconnected"
        words = N_("connected") if state == "connected" else N_("not connected")
        return f"{self.t(words)} — {scanner.url}"

    def _records_unreadable(self, error: BaseException) -> str:
        log.error("the technician menu cannot read the records: %s", error)
        return self.t("The records of this device cannot be read. Please restart it.")

    def technician_scan(self, payload: bytes) -> bool:
        """On the technician screen, what the scanner read is shown (masked, kiosk.scan_reading)
        and goes no further: neither kept nor logged. True when it was taken here."""
        if self.root.current != "technician":
            return False
        reading = describe_scan(payload)
        self.root.get_screen("technician").show_scan(self.t(reading.msgid).format(**reading.values))
        return True

    def export_logs(self) -> None:
        """The logs, the health snapshot and the doctor's findings to the USB stick, on a thread
        of its own (a slow stick may take seconds to sync); one export at a time."""
        if self._exporting:
            return
        self._exporting = True
        screen = self.root.get_screen("technician")
        screen.show_message(self.t("Exporting the logs…"))
        logs = self.settings.device.data_dir / "logs"
        health = self.health.latest()
        summary = {
            "health": None if health is None else health.as_json(),
            "findings": [finding.as_dict() for finding in self._findings or ()],
        }
        device_id, now, roots = self.settings.device.id, self._office_clock(), self.stick_roots

        def said(text: str) -> None:
            self._exporting = False
            screen.show_message(text)

        def export() -> None:
            try:
                sticks = find_sticks(roots)
                if not sticks:
                    raise ExportFailed(NO_STICK)
                result = export_logs_to(sticks[0], logs, summary, device_id, now)
            except ExportFailed as error:
                text = self.t(error.reason)
            except Exception as error:  # whatever a stick does, the screen says it failed
                log.error("log export failed: %s", error)
                text = self.t(FAILED)
            else:
                text = self.t("{files} files copied to {folder}").format(
                    files=result.files, folder=result.folder
                )
            Clock.schedule_once(lambda _dt: said(text))

        threading.Thread(target=export, name="kiosk-log-export", daemon=True).start()

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
        """Runs `work` on the I/O worker; `done`/`failed` run on the main thread."""

        def finished(future: Future) -> None:
            error = future.exception()
            if error is None:
                result = future.result()
                Clock.schedule_once(lambda _dt: done(result))
            else:
                Clock.schedule_once(lambda _dt: failed(error))

        self._io.submit(work).add_done_callback(finished)

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
