"""The setup app: what `kiosk run` starts on a device never provisioned (kiosk.config.site_writer
says what that means), instead of a role's app.

The technician scans the provisioning QR (`kiosk-central enroll-code --api-url`) with the
device's scanner, which provisions and enrols in one step, or fills in the form and saves. Both
go through kiosk.provisioning off the UI thread; once saved, the app ends with `provisioned` set
and `kiosk run` starts again as the role it now has (kiosk.cli.run).

No PIN guards it: it only appears while the site file names no role, and the only PIN such a
device has is the shipped one, printed in the README, so asking for it would protect nothing.
A provisioned device never shows it again; changing what it is takes root (`kiosk provision`).
Until the shipped PIN and the demo officers are replaced, the screen says so in red.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from apps.base import in_background
from common.provisioning_code import (
    ProvisioningCodeError,
    is_provisioning_text,
    parse_provisioning_code,
)
from kiosk import watchdog
from kiosk.config import Config
from kiosk.config.central import central_url_problem
from kiosk.config.device import OFFICE_CODE
from kiosk.config.shipped_defaults import DEMO_OFFICERS, shipped_secrets_in_use
from kiosk.device_ports import present_ports
from kiosk.i18n import N_, Translator
from kiosk.paths import LOCALE_DIR
from kiosk.provisioning import (
    DeviceSetup,
    Enrolling,
    ProvisioningError,
    from_provisioning_code,
    provision,
)
from kiosk.roles import ROLES
from screens.onscreen_keyboard import KeyboardScreen
from screens.setup import SetupScreen

log = logging.getLogger("apps.setup")

ROLE_NAMES = {
    "lobby": N_("Lobby kiosk"),
    "counter": N_("Counter terminal"),
    "display": N_("Hall display"),
}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
IDLE_TIMEOUTS = ("15", "30", "45", "60", "90", "120")
RATING_TIMES = ("15", "20", "30", "45", "60")
NO_SCANNER = ""


@dataclass(frozen=True)
class Setting:
    key: str
    label: str  # msgid
    typed: bool  # typed on the keyboard; else tapping takes the next choice
    roles: tuple[str, ...] = ROLES  # the roles it applies to (greyed out for the others)


SETTINGS = (
    Setting("role", N_("Role"), typed=False),
    Setting("device_id", N_("Device id"), typed=True),
    Setting("office", N_("Office code"), typed=True),
    Setting("code_list_date", N_("Code list date"), typed=True),
    Setting("office_name", N_("Office name"), typed=True),
    Setting("counter", N_("Counter number"), typed=True, roles=("counter",)),
    Setting("api_url", N_("Central server"), typed=True),
    Setting("code", N_("Enrolment code"), typed=True),
    Setting("printer", N_("Printer port"), typed=False, roles=("lobby",)),
    Setting("profile", N_("Printer profile"), typed=False, roles=("lobby",)),
    Setting("scanner", N_("Scanner port"), typed=False, roles=("lobby", "counter")),
    Setting("language", N_("Language"), typed=False),
    Setting("idle_timeout", N_("Idle timeout"), typed=False, roles=("lobby",)),
    Setting("rating_seconds", N_("Time to rate"), typed=False, roles=("counter",)),
)


class SetupApp(App):
    language = StringProperty("vi")

    def __init__(
        self,
        config: Config,
        override: Path | None,
        *,
        finished: Callable[[Config], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """`override` is the --config value the site file is found by; `finished` is called
        with the new configuration once saved (default: the app stops)."""
        super().__init__(**kwargs)
        self.title = "Setup"
        self.settings = config
        self.override = override
        self.translator = Translator(LOCALE_DIR, config.device.language)
        self.language = config.device.language
        self.provisioned: Config | None = None
        self._finished = finished or (lambda _config: self.stop())
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="setup-io")
        self._timers: list = []
        self.scanner = None
        self._secrets: list[str] = []  # the shipped secrets in place, once looked up
        self.values = {
            "role": config.device.role,
            "device_id": config.device.id,
            "office": config.office.code,
            "code_list_date": config.office.code_list_date.isoformat(),
            "office_name": config.office.name,
            "counter": str(config.counter.number),
            "api_url": "",
            "code": "",
            "printer": config.printer.url,
            "profile": config.printer.profile,
            "scanner": config.scanner.url if config.scanner.mode == "serial" else NO_SCANNER,
            "language": config.device.language,
            "idle_timeout": str(config.lobby.idle_timeout),
            "rating_seconds": str(config.counter.rating_seconds),
        }
        self.choices: dict[str, tuple[str, ...]] = {
            "role": ROLES,
            "printer": (config.printer.url,),
            "profile": _profile_names(config),
            "scanner": (NO_SCANNER, config.scanner.url),
            "language": tuple(LANGUAGE_NAMES),
            "idle_timeout": IDLE_TIMEOUTS,
            "rating_seconds": RATING_TIMES,
        }

    # ----------------------------------------------------------------- life cycle

    def build(self) -> ScreenManager:
        manager = ScreenManager(transition=NoTransition())
        manager.add_widget(SetupScreen(name="setup"))
        manager.add_widget(KeyboardScreen(name="keyboard"))
        return manager

    def on_start(self) -> None:
        Clock.schedule_once(lambda _dt: watchdog.notify("READY=1"))
        interval = watchdog.watchdog_interval()
        if interval:
            self._timers.append(
                Clock.schedule_interval(lambda _dt: watchdog.notify("WATCHDOG=1"), interval)
            )
        self.setup_screen.message = self.t(
            "Scan the provisioning QR with the scanner, or fill in the form and save."
        )
        self.show_rows()
        self._listen(self.settings.scanner.url)
        in_background(self._io, self._look_around, self._looked_around, self._failed)

    def on_stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        self._io.shutdown(wait=True)

    @property
    def setup_screen(self) -> SetupScreen:
        return self.root.get_screen("setup")

    # ----------------------------------------------------------------- the form

    def show_rows(self) -> None:
        role = self.values["role"]
        rows = [
            (s.key, f"{self.t(s.label)}: {self._shown(s.key)}", role in s.roles) for s in SETTINGS
        ]
        self.setup_screen.show_rows(rows)
        secrets = [s for s in self._secrets if role == "counter" or s != DEMO_OFFICERS]
        self.setup_screen.warning = "\n".join(
            f"{self.t('WARNING:')} {self.t(secret)}" for secret in secrets
        )

    def _shown(self, key: str) -> str:
        value = self.values[key]
        if key == "role":
            return self.t(ROLE_NAMES[value])
        if key == "language":
            return LANGUAGE_NAMES[value]
        if key == "scanner" and value == NO_SCANNER:
            return self.t("None")
        if key in ("idle_timeout", "rating_seconds"):
            return f"{value} s"
        return value or "—"

    def edit(self, key: str) -> None:
        """A tap on a setting's row: the keyboard for a typed one, the next choice otherwise."""
        if self.setup_screen.busy:
            return
        setting = next(s for s in SETTINGS if s.key == key)
        if setting.typed:
            keyboard: KeyboardScreen = self.root.get_screen("keyboard")
            keyboard.start(
                self.t(setting.label), self.values[key], lambda text: self._typed(key, text)
            )
            self.root.current = "keyboard"
            return
        choices = self.choices[key]
        current = choices.index(self.values[key]) if self.values[key] in choices else -1
        before = self.values[key]
        self.values[key] = choices[(current + 1) % len(choices)]
        if key == "role" and self.values["device_id"] == f"{before}-01":
            self.values["device_id"] = f"{self.values[key]}-01"  # the name follows, if untouched
        if key == "language":
            self.language = self.values[key]
        if key == "scanner":
            self._listen(self.values[key])
        self.show_rows()

    def _typed(self, key: str, text: str | None) -> None:
        if text is not None:
            self.values[key] = text
        self.root.current = "setup"
        self.show_rows()

    def save(self) -> None:
        """Save the form (and enrol when a server and a code are given)."""
        try:
            setup, enrolling = self._from_form()
        except ValueError as error:
            self.setup_screen.message = str(error)
            return
        self._provision(setup, enrolling)

    def _from_form(self) -> tuple[DeviceSetup, Enrolling | None]:
        v = self.values
        role = v["role"]
        try:
            listed = date.fromisoformat(v["code_list_date"])
        except ValueError:
            raise ValueError(self.t("Write the code list date as YYYY-MM-DD.")) from None
        counter = None
        if role == "counter":
            if not v["counter"].isdigit():
                raise ValueError(self.t("The counter number must be a whole number."))
            counter = int(v["counter"])
        if not OFFICE_CODE.fullmatch(v["office"]):
            raise ValueError(self.t("The office code is the ward's 5 digits, e.g. 00637."))
        if not v["device_id"].strip():
            raise ValueError(self.t("Give the device a name, e.g. lobby-01."))
        if bool(v["api_url"]) != bool(v["code"]):
            raise ValueError(self.t("Give both the central server and the enrolment code."))
        if v["api_url"] and central_url_problem(v["api_url"]) is not None:
            raise ValueError(
                self.t(
                    "The central server's address starts with https://, e.g."
                    " https://kiosk.hanoi.gov.vn."
                )
            )
        setup = DeviceSetup(
            role=role,
            device_id=v["device_id"],
            office=v["office"],
            code_list_date=listed,
            office_name=v["office_name"],
            counter=counter,
            **self._own_settings(role),
        )
        return setup, Enrolling(v["api_url"], v["code"]) if v["api_url"] else None

    def _own_settings(self, role: str) -> dict[str, Any]:
        """What the form says of this device's own hardware and language, for `role`."""
        v = self.values
        return {
            "language": v["language"],
            "printer": v["printer"] if role == "lobby" else None,
            "profile": v["profile"] if role == "lobby" else None,
            "scanner": (v["scanner"] or None) if role != "display" else None,
            "idle_timeout": int(v["idle_timeout"]) if role == "lobby" else None,
            "rating_seconds": int(v["rating_seconds"]) if role == "counter" else None,
        }

    # ----------------------------------------------------------------- the provisioning QR

    def on_scan(self, payload: bytes) -> None:
        """A code the scanner read (its envelope taken off), on the main thread."""
        if self.setup_screen.busy or self.root.current != "setup":
            return
        text = payload.decode("utf-8", errors="replace")
        if not is_provisioning_text(text):
            self.setup_screen.message = self.t("This is not a provisioning QR.")
            return
        try:
            setup, enrolling = from_provisioning_code(parse_provisioning_code(text))
        except ProvisioningCodeError as error:
            log.info("a provisioning QR was refused: %s", error)
            self.setup_screen.message = self.t(
                "This provisioning QR cannot be read; scan it again."
            )
            return
        # The ports and the language are this device's own: as the form has them.
        setup = replace(setup, **self._own_settings(setup.role))
        for key, value in (
            ("role", setup.role),
            ("device_id", setup.device_id),
            ("office", setup.office),
            ("office_name", setup.office_name),
            ("code_list_date", setup.code_list_date.isoformat()),
            ("api_url", enrolling.api_url),
        ):
            self.values[key] = value
        if setup.counter is not None:
            self.values["counter"] = str(setup.counter)
        self.show_rows()
        self._provision(setup, enrolling)

    def _listen(self, url: str) -> None:
        """Reads the provisioning QR from the scanner at `url` ("" : none)."""
        if self.scanner is not None:  # its reader thread ends off the UI thread
            in_background(self._io, self.scanner.stop, lambda _none: None, self._failed)
            self.scanner = None
        if not url:
            return
        from devices.scanner import SerialScanner
        from devices.scanner_envelope import unwrap

        envelope = self.settings.scanner.envelope_settings
        self.scanner = SerialScanner(
            url,
            baudrate=self.settings.scanner.baudrate,
            suffix=self.settings.scanner.suffix,
            on_line=lambda line: Clock.schedule_once(
                lambda _dt: self.on_scan(unwrap(line, envelope).payload)
            ),
        )
        self.scanner.start()

    # ----------------------------------------------------------------- the work

    def _provision(self, setup: DeviceSetup, enrolling: Enrolling | None) -> None:
        screen = self.setup_screen
        screen.busy = True
        screen.message = self.t("Saving and enrolling…") if enrolling else self.t("Saving…")
        in_background(
            self._io,
            lambda: provision(self.override, setup, enrolling)[0],
            self._saved,
            self._refused,
        )

    def _saved(self, config: Config) -> None:
        log.info("provisioned as %s (%s)", config.device.id, config.device.role)
        self.provisioned = config
        self.setup_screen.message = self.t("Saved. Starting…")
        self._finished(config)

    def _refused(self, error: BaseException) -> None:
        self.setup_screen.busy = False
        if isinstance(error, ProvisioningError):
            self.setup_screen.message = f"{self.t('Not saved:')} {error}"
        else:
            self._failed(error)

    def _look_around(self) -> tuple[list[str], list[str]]:
        """The ports present and the shipped secrets still in place (an scrypt: not on the UI
        thread), as for a counter: the demo officers are shown while the role is counter."""
        as_counter = replace(self.settings, device=replace(self.settings.device, role="counter"))
        return present_ports(), shipped_secrets_in_use(as_counter)

    def _looked_around(self, found: tuple[list[str], list[str]]) -> None:
        ports, self._secrets = found
        for key, first in (("printer", ()), ("scanner", (NO_SCANNER,))):
            current = self.values[key]
            listed = (*first, *([current] if current and current not in ports else []), *ports)
            self.choices[key] = tuple(dict.fromkeys(listed))
        self.show_rows()

    def _failed(self, error: BaseException) -> None:
        log.error("setup: %s", error, exc_info=error)
        self.setup_screen.busy = False
        self.setup_screen.message = self.t("Something went wrong; see the log.")

    def t(self, msgid: str, _language: str | None = None) -> str:
        """Translates for the screen. kv passes `app.language` so the text follows a switch."""
        return self.translator.gettext(msgid, self.language)

    def go_home(self) -> None:
        self.root.current = "setup"


def _profile_names(config: Config) -> tuple[str, ...]:
    """The printer profiles of printers.toml (shipped and the site's), the current one first."""
    names = [config.printer.profile]
    for source in config.sources:
        if source.name == "printers.toml":
            with source.open("rb") as f:
                names += list(tomllib.load(f).get("profile", {}))
    return tuple(dict.fromkeys(names))
