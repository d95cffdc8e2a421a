"""The technician menu every role's app shares (apps/base.py DeviceApp inherits it): the facts
its screen shows, the doctor's checks, the live scanner view and the export of the logs. The
role adds its own facts (`role_fact_rows`) and records read from its store
(`technician_records`), and its screen its own actions.

Threads: the facts come from the health monitor's latest snapshot (kiosk.device_health, its own
thread) and from memory, on the main thread; the doctor's checks and the export run on threads of
their own (they may wait seconds for the server or a slow stick), the role's records on the I/O
worker; every result comes back through Clock.schedule_once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kivy.clock import Clock

from common.version import __version__
from devices.scanner_envelope import Unwrapped
from kiosk.device_health import (
    STORAGE_DATABASE_ERROR,
    STORAGE_FULL,
    STORAGE_OK,
    STORAGE_READ_ONLY,
    DeviceHealth,
)
from kiosk.diagnostics import CHECK_TITLES, CHECKS, CheckContext, Finding, run_checks
from kiosk.i18n import N_
from kiosk.log_export import FAILED, NO_STICK, STICK_ROOTS, ExportFailed, find_sticks
from kiosk.log_export import export_logs as export_logs_to
from kiosk.scan_reading import describe_scan

log = logging.getLogger("apps.technician")

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
EXPORTED = N_("{files} files copied to {folder}")
TECHNICIAN_LIVE_SECONDS = 1.0  # the technician screen follows the health snapshot
# kiosk.device_health's storage states, for the technician.
STORAGE_WORDS = {
    STORAGE_OK: N_("working"),
    STORAGE_READ_ONLY: N_("read-only: nothing can be saved"),
    STORAGE_FULL: N_("full: nothing can be saved"),
    STORAGE_DATABASE_ERROR: N_("the database cannot be read"),
}


class TechnicianMenu:
    """The technician menu's part of a DeviceApp (it uses the app's `t`, `settings`, `root`,
    `health`, `scanner`, `in_background`, `_network_words`, `_storage_words` and
    `_office_clock`)."""

    # Where the technician's USB stick is looked for (kiosk.log_export; tests mount their own).
    stick_roots = STICK_ROOTS
    _technician_records: Any = None  # technician_records(), last read
    _findings: list[Finding] | None = None  # the doctor's, last run (None: running)
    _checking = False
    _exporting = False

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
            lambda error: screen.show_message(self._records_unreadable(error), failed=True),
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
            findings = run_checks(  # a failing check is a finding
                config, CheckContext(in_running_app=True), only=SCREEN_CHECKS
            )
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
        """The doctor's problems first (what the technician came for), then the device's facts
        of the latest health snapshot, the role's, and the checks that passed (main thread)."""
        if self.root is None or self.root.current != "technician":
            return
        findings = self._findings
        if findings is None:
            first, last = self.finding_rows(None), []
        else:
            first = self.finding_rows([f for f in findings if f.status != "ok"])
            last = self.finding_rows([f for f in findings if f.status == "ok"])
        rows = [
            *self.live_problem_rows(),
            *first,
            *self.device_fact_rows(self.health.latest()),
            *self.role_fact_rows(),
            *last,
        ]
        self.root.get_screen("technician").show_facts(rows)

    def role_fact_rows(self) -> list[tuple[str, str]]:
        """This role's facts, as (name, value) rows; on the main thread, from memory."""
        return []

    def live_problem_rows(self) -> list[tuple[str, str]]:
        """What is wrong now with this role's devices, as the doctor's findings read (the
        screen's checks leave out the ports the app holds: it knows their state itself); listed
        first, on the main thread, from memory."""
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
            # Lines of our logs: English, as a technician reads them with journalctl.
            (
                self.t("Recent errors (log, in English)"),
                self._error_lines(health) or self.t("none"),
            ),
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

    def technician_scan(self, read: Unwrapped) -> bool:
        """On the technician screen, what the scanner read is shown (masked, kiosk.scan_reading)
        with its envelope, and goes no further: neither kept nor logged. True when taken here."""
        if self.root.current != "technician":
            return False
        self.root.get_screen("technician").show_scan(describe_scan(read).render(self.t))
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
        # The folder is named in office time, as the screens and the logs tell the time.
        now = self._office_clock().astimezone(self.settings.office.timezone)
        device_id, roots = self.settings.device.id, self.stick_roots

        def said(msgid: str, values: dict[str, object]) -> None:
            self._exporting = False
            screen.show_message(self.t(msgid).format(**values), failed=msgid != EXPORTED)

        def export() -> None:
            values: dict[str, object] = {}
            try:
                sticks = find_sticks(roots)
                if not sticks:
                    raise ExportFailed(NO_STICK)
                result = export_logs_to(sticks[0], logs, summary, device_id, now)
            except ExportFailed as error:
                msgid = error.reason
            except Exception as error:  # whatever a stick does, the screen says it failed
                log.error("log export failed: %s", error)
                msgid = FAILED
            else:
                msgid = EXPORTED
                values = {"files": result.files, "folder": result.folder}
            Clock.schedule_once(lambda _dt: said(msgid, values))

        threading.Thread(target=export, name="kiosk-log-export", daemon=True).start()
