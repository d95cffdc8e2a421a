"""The counter terminal app: the one place that assembles the counter's screens and services.

Officer sign-in → desk (call, recall, no-show, serve) → the officer's half (outcome, same-day
result, the officer's rating) → the citizen's half (faces, reasons when negative, thanks) →
desk. Every service call runs on the I/O worker (`in_background`); the main thread only draws.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from kivy.clock import Clock
from kivy.metrics import mm
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from apps.base import DeviceApp
from common.version import __version__
from kiosk.central_client import CentralError, CentralRefused, CentralUnauthorized
from kiosk.citizen_id import InvalidCitizenQR, mask_id, parse
from kiosk.config import Config
from kiosk.counter import CentralUnreachable, CounterService, RatingPending, SessionOpen
from kiosk.enrolment import CentralLink
from kiosk.hall_key import HallKeyStore
from kiosk.hall_network import HallSender
from kiosk.i18n import N_
from kiosk.officers import Officer, Officers, SignInLocked, WrongPin
from kiosk.ratings import RatingWindow
from kiosk.services import DeviceData
from kiosk.sessions import CounterSession
from kiosk.sync import OFFLINE, ONLINE, SyncStatus
from kiosk.ticket_entry import TicketRefused
from screens.counter_close import CounterCloseScreen
from screens.counter_desk import CounterDeskScreen
from screens.counter_entry import CounterEntryScreen
from screens.counter_pairing import CounterPairingScreen
from screens.counter_rating import (
    CounterRatingScreen,
    CounterReasonsScreen,
    CounterThanksScreen,
)
from screens.counter_signin import CounterSignInScreen
from screens.counter_technician import CounterTechnicianScreen
from screens.onscreen_keyboard import KeyboardScreen
from screens.technician_login import TechnicianLoginScreen
from screens.widgets import CheckToggle

log = logging.getLogger("apps.counter")

OFFLINE_WORDS = N_("The central server cannot be reached: enter the ticket number by hand.")
PAIRING_OFFLINE = N_("The central server cannot be reached: the computer cannot be paired now.")
PAIRING_REFUSED = N_("The central server refused to pair a computer with this counter.")
THANKS_SECONDS = 5
SIGN_OUT_CHECK_SECONDS = 30
RATING_SCREENS = ("counter_rating", "counter_reasons", "counter_thanks")
TECHNICIAN_IDLE_SECONDS = 60
TECHNICIAN_SCREENS = ("technician_login", "technician")


class CounterApp(DeviceApp):
    """The dual-rating terminal at one counter, facing the citizen."""

    home_screen = "counter_desk"
    counter_number = NumericProperty(1)
    officer_name = StringProperty("")
    officer_title = StringProperty("")
    session_label = StringProperty("")

    def __init__(
        self,
        config: Config,
        data: DeviceData,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, data, **kwargs)
        self.counter_number = config.counter.number
        clock = self._office_clock
        self.officers = Officers(data.store, config, clock)
        # Calls also go straight to the hall display over the office network, signed with the
        # office's hall key (its own link: a client serves one thread).
        self.hall_keys = HallKeyStore(
            config.device.data_dir, config.office.code, CentralLink(config), clock
        )
        network = config.office_network
        self.hall_sender: HallSender | None = None
        if network.enabled:
            self.hall_sender = HallSender(config, self.hall_keys, clock=clock)
        self.counter = CounterService(
            data.store,
            config,
            self.officers,
            CentralLink(config),
            clock,
            on_events=self.sync.wake,
            on_call=None if self.hall_sender is None else self.hall_sender.send,
            personal=data.personal,
        )
        self.session: CounterSession | None = None
        self.window: RatingWindow | None = None  # known once the service opened it
        self._rating_open = False  # the citizen's faces are (or their thanks is) showing
        self.keypad = None  # devices.rating_keypad.RatingKeypad when [counter] keypad_url is set
        self._negative: tuple[int, datetime] | None = None  # level and press time
        self._rating_clock = None
        self._pairing_end = None  # the Clock event taking the pairing code away at its expiry

    def build(self) -> ScreenManager:
        manager = ScreenManager(transition=NoTransition())
        manager.add_widget(CounterSignInScreen(name="counter_signin"))
        manager.add_widget(CounterDeskScreen(name="counter_desk"))
        manager.add_widget(CounterEntryScreen(name="counter_entry", timeout=60))
        manager.add_widget(CounterCloseScreen(name="counter_close", timeout=180))
        manager.add_widget(CounterPairingScreen(name="counter_pairing"))
        manager.add_widget(KeyboardScreen(name="keyboard", timeout=180))
        manager.add_widget(CounterRatingScreen(name="counter_rating"))
        manager.add_widget(CounterReasonsScreen(name="counter_reasons"))
        manager.add_widget(CounterThanksScreen(name="counter_thanks", timeout=THANKS_SECONDS))
        manager.add_widget(
            TechnicianLoginScreen(name="technician_login", timeout=TECHNICIAN_IDLE_SECONDS)
        )
        manager.add_widget(
            CounterTechnicianScreen(
                name="technician",
                timeout=TECHNICIAN_IDLE_SECONDS * 4,
                scanner_used=self.settings.scanner.mode != "none",
            )
        )
        manager.current = "counter_signin"
        self.update_status()
        return manager

    def on_start(self) -> None:
        super().on_start()
        if self.hall_sender is not None:
            self.hall_keys.start()
            self.hall_sender.start()
        self.every(SIGN_OUT_CHECK_SECONDS, self._check_sign_out)
        self.every(0.5, self._tick)
        keypad_url = self.settings.counter.keypad_url
        if keypad_url:
            from devices.rating_keypad import RatingKeypad

            self.keypad = RatingKeypad(
                keypad_url,
                buttons=self.settings.rating.citizen_scale.levels,
                on_press=lambda level, at: Clock.schedule_once(
                    lambda _dt: self._keypad_pressed(level, at)
                ),
            )
            self.keypad.start()
        log.info(
            "counter terminal %s started: office %s, counter %d, device %s",
            __version__,
            self.settings.office.code,
            self.settings.counter.number,
            self.settings.device.id,
        )

    def shutdown(self) -> None:
        if self.keypad is not None:
            self.keypad.stop()
        if self.hall_sender is not None:
            self.hall_sender.stop()
        self.hall_keys.stop()
        super().shutdown()

    # ----------------------------------------------------------------- navigation

    def go_home(self) -> None:
        """To the desk (or sign-in). Leaving the citizen's screens ends their rating time."""
        if self.root.current in RATING_SCREENS or self._rating_open:
            self._end_rating()
        self.language = self.settings.device.language
        self.root.current = "counter_desk" if self.officers.current else "counter_signin"

    def open_technician_login(self) -> None:
        """The hidden way in (holding the status line, at the bottom of the sign-in screen and
        of the desk): only while no citizen is being served."""
        current = self.root.current
        if current == "counter_signin" or (current == "counter_desk" and self.session is None):
            self.root.current = "technician_login"

    @property
    def desk(self) -> CounterDeskScreen:
        return self.root.get_screen("counter_desk")

    # ----------------------------------------------------------------- sign-in

    def sign_in(self, officer_id: str, pin: str) -> None:
        screen: CounterSignInScreen = self.root.get_screen("counter_signin")

        def refused(error: BaseException) -> None:
            if isinstance(error, SignInLocked):
                local = error.until.astimezone(self.settings.office.timezone)
                screen.show_refused(
                    self.t("Sign-in is locked until {time}.").format(time=f"{local:%H:%M}")
                )
            elif isinstance(error, WrongPin):
                screen.show_refused(
                    self.t("Wrong PIN. {count} tries left.").format(count=error.attempts_left)
                )
            else:
                log.error("sign-in failed: %s", error)
                screen.show_refused(self.t("Sign-in failed. Please try again."))

        self.in_background(lambda: self.officers.sign_in(officer_id, pin), self._signed_in, refused)

    def _signed_in(self, officer: Officer) -> None:
        self.officer_name, self.officer_title = officer.name, officer.title
        self.desk.say("")
        log.info("officer %s signed in at counter %d", officer.id, self.counter_number)
        self.in_background(self.counter.current, self._show_session, self._desk_error)
        self.root.current = "counter_desk"

    def sign_out(self) -> None:
        self.officers.sign_out()
        self.officer_name = self.officer_title = ""
        self.root.current = "counter_signin"

    def _check_sign_out(self) -> None:
        # Not under the citizen's rating, nor under a technician at work.
        if self.root.current in (*RATING_SCREENS, *TECHNICIAN_SCREENS):
            return

        def decided(sign_out: bool) -> None:
            if sign_out and self.root.current not in (*RATING_SCREENS, *TECHNICIAN_SCREENS):
                log.info("officer signed out: idle, or the office day is over")
                self.sign_out()

        self.in_background(self.officers.should_sign_out, decided, self._desk_error)

    # ----------------------------------------------------------------- the QR scanner

    def on_scan(self, payload: bytes) -> None:
        """An officer's badge on the sign-in screen; a ticket's QR when the counter is free; a
        dossier receipt's code on the close screen (which refuses a card or a ticket there)."""
        text = payload.decode("utf-8", errors="replace").strip()
        current = self.root.current
        if current == "counter_signin":
            self._badge_scanned(text)
        elif current in ("counter_desk", "counter_entry") and self.desk.state == "idle":
            self._ticket_scanned(text)
        elif current == "counter_desk" and self.session is not None:
            self._card_scanned(payload)
        elif current == "counter_close":
            self.root.get_screen("counter_close").scanned(text)

    def _card_scanned(self, payload: bytes) -> None:
        """The citizen's ID card scanned at the counter: shown masked for the forms, and sent
        sealed to the server for the officer's desk page (CounterService.card_scanned)."""
        try:
            identity = parse(payload)
        except InvalidCitizenQR as error:
            log.info("ID card QR refused at the counter: %s", error.code)
            self.desk.say(self.t(error.reason), "error")
            return
        self.desk.say("")
        self._show_prefill(self.session.id, identity.as_dict())
        self.in_background(
            lambda: self.counter.card_scanned(identity), lambda _id: None, self._desk_error
        )

    def _badge_scanned(self, payload: str) -> None:
        screen: CounterSignInScreen = self.root.get_screen("counter_signin")

        def refused(error: BaseException) -> None:
            log.info("badge refused: %s", error)
            screen.show_refused(self.t("This badge cannot be used here."))

        self.in_background(lambda: self.officers.sign_in_badge(payload), self._signed_in, refused)

    def _ticket_scanned(self, payload: str) -> None:
        def taken(session: CounterSession) -> None:
            self.desk.say("")
            self._show_session(session)
            self.root.current = "counter_desk"

        def refused(error: BaseException) -> None:
            self.root.current = "counter_desk"
            if isinstance(error, TicketRefused):
                self.desk.say(self.refusal_words(error), "error")
            else:
                self._desk_error(error)

        self.desk.say("")
        self.in_background(lambda: self.counter.take_ticket(qr_payload=payload), taken, refused)

    # ----------------------------------------------------------------- technician

    def role_fact_rows(self) -> list[tuple[str, str]]:
        """The counter's own facts; the officer by their id only."""
        officer = self.officers.current
        network = self.settings.office_network
        rows = [
            (self.t("Counter"), str(self.counter_number)),
            (self.t("Officer signed in"), officer.id if officer else self.t("none")),
            (self.t("Scanner"), self.scanner_words()),
            (
                self.t("Office network"),
                self.t("calls sent to {count} hall displays").format(count=len(network.send_to))
                if self.hall_sender is not None
                else self.t("off"),
            ),
        ]
        if self.keypad is not None:
            connected = self.keypad.state.value == "connected"
            words = N_("connected") if connected else N_("not connected")
            rows.append((self.t("Rating keypad"), self.t(words)))
        return rows

    # ----------------------------------------------------------------- the officer's side

    def _act(self, name: str, work) -> None:
        """One desk action on the I/O worker; the desk's buttons wait for it. The action clears
        what the last one said, and says what it did."""
        desk = self.desk
        if desk.busy_action:
            return
        desk.busy_action = name
        desk.confirming = desk.highlight = False
        desk.say("")
        if self.sync_status.state == OFFLINE:
            self.sync.check_now()  # the next action is a moment to look if the server is back

        def done(session: CounterSession | None) -> None:
            desk.busy_action = ""
            if name == "call_next":
                self.sync.check_now()  # the server answered: the status line follows at once
                if session is None:
                    desk.say(self.t("No citizen is waiting for this counter."))
            self._show_session(session if name != "skip" else None)
            if name == "recall" and session is not None:
                desk.say(
                    self.t("Number {label} called again at {time}").format(
                        label=session.label, time=f"{self._office_clock():%H:%M}"
                    )
                )
                desk.flash()
            elif name == "skip" and session is not None:
                desk.say(
                    self.t("Number {label} skipped: the citizen was not present.").format(
                        label=session.label
                    )
                )

        def failed(error: BaseException) -> None:
            desk.busy_action = ""
            self._desk_error(error)

        self.in_background(work, done, failed)

    def call_next(self) -> None:
        self._act("call_next", self.counter.call_next)

    def recall(self) -> None:
        self._act("recall", self.counter.recall)

    def ask_skip(self) -> None:
        """ "No-show" asks first: the desk shows the question and Back / Confirm."""
        desk = self.desk
        if desk.busy_action or desk.state != "called":
            return
        desk.say("")
        desk.highlight = False
        desk.question = self.t("Skip number {label}? The citizen is not present").format(
            label=desk.label
        )
        desk.confirming = True

    def cancel_skip(self) -> None:
        self.desk.confirming = False

    def skip(self) -> None:
        self._act("skip", self.counter.skip)

    def start_serving(self) -> None:
        self._act("start_serving", self.counter.start_serving)

    def open_ticket_entry(self) -> None:
        self.root.current = "counter_entry"

    def take_typed_ticket(self, label: str, priority: bool = False) -> None:
        """A number typed at the counter; `priority` the officer's "Priority" mark."""
        screen: CounterEntryScreen = self.root.get_screen("counter_entry")

        def taken(session: CounterSession) -> None:
            self.desk.say("")
            self._show_session(session)
            self.root.current = "counter_desk"
            self.sync.check_now()  # the server was asked: the status line follows at once

        def refused(error: BaseException) -> None:
            if isinstance(error, TicketRefused):
                screen.show_refused(self.refusal_words(error))
            else:
                self._desk_error(error)
                self.root.current = "counter_desk"

        self.in_background(
            lambda: self.counter.take_ticket(label=label, priority=priority), taken, refused
        )

    def refusal_words(self, error: TicketRefused) -> str:
        """Why an entered ticket was refused, for the officer's screen."""
        words = self.t(error.message).format(**error.values)
        if error.sentence:
            return words
        return self.t("This number cannot be taken: {reason}").format(reason=words)

    def pair_desk(self) -> None:
        """ "Pair computer": a code for the officer's computer to open this counter's desk
        page, shown big until it expires or is closed."""
        desk = self.desk
        if desk.busy_action:
            return
        desk.busy_action = "pair_desk"
        desk.say("")

        def shown(pairing: dict[str, Any]) -> None:
            desk.busy_action = ""
            self._show_pairing(pairing)

        def failed(error: BaseException) -> None:
            desk.busy_action = ""
            if isinstance(error, CentralRefused | CentralUnauthorized):
                log.warning("desk pairing refused: %s", error)
                desk.say(self.t(PAIRING_REFUSED), "error")
            elif isinstance(error, CentralError | CentralUnreachable):
                log.info("desk pairing: %s", error)
                desk.say(self.t(PAIRING_OFFLINE), "error")
                self.sync.check_now()
            else:
                self._desk_error(error)

        self.in_background(self.counter.desk_pairing, shown, failed)

    def _show_pairing(self, pairing: dict[str, Any]) -> None:
        if self.root.current != "counter_desk":
            return  # the officer left the desk meanwhile (signed out, a ticket scanned)
        local = pairing["expires_at"].astimezone(self.settings.office.timezone)
        screen: CounterPairingScreen = self.root.get_screen("counter_pairing")
        screen.code, screen.desk_url, screen.until = (
            pairing["code"],
            pairing["desk_url"],
            f"{local:%H:%M}",
        )
        self.root.current = "counter_pairing"
        seconds = (pairing["expires_at"] - self._office_clock()).total_seconds()
        if self._pairing_end is not None:  # the last code's timer (its screen left otherwise)
            self._pairing_end.cancel()
        self._pairing_end = Clock.schedule_once(lambda _dt: self.close_pairing(), max(0, seconds))

    def close_pairing(self) -> None:
        """The code leaves the screen: closed by the officer, or expired."""
        if self._pairing_end is not None:
            self._pairing_end.cancel()
            self._pairing_end = None
        screen: CounterPairingScreen = self.root.get_screen("counter_pairing")
        screen.code = ""
        if self.root.current == "counter_pairing":
            self.go_home()

    def open_close_form(self) -> None:
        self.root.current = "counter_close"

    def close_session(
        self, outcome_id: str, same_day: bool, ratings: dict[str, int], dossier_code: str
    ) -> None:
        def closed(_session: CounterSession) -> None:
            self._show_session(None)
            self._show_rating()

        def failed(error: BaseException) -> None:
            self.root.current = "counter_desk"
            self._desk_error(error)

        self.in_background(
            lambda: self.counter.close_session(outcome_id, same_day, ratings, dossier_code),
            closed,
            failed,
        )

    def _show_session(self, session: CounterSession | None) -> None:
        previous, self.session = self.session, session
        desk = self.desk
        if session is None:
            desk.state, desk.label, desk.field_name, desk.elapsed = "idle", "", "", ""
            desk.priority = False
            desk.prefill = ""  # the citizen's data leaves the screen with the session
            self.session_label = ""
            return
        if previous is None or previous.id != session.id:
            desk.prefill = ""
            self.in_background(
                lambda: self.counter.identity_of(session),
                lambda identity: self._show_prefill(session.id, identity),
                self._desk_error,
            )
        desk.state = "serving" if session.state == "serving" else "called"
        desk.label = self.session_label = session.label
        desk.priority = session.priority
        desk.field_name = self.field_name(session.field_id)
        self._tick()

    def _show_prefill(self, session_id: str, identity: dict[str, Any] | None) -> None:
        """The data the citizen gave with their ID card (at the lobby or scanned here), for the
        officer's forms: the ID number masked, the name and the birth date."""
        if identity is None or self.session is None or self.session.id != session_id:
            return
        birth = "/".join(reversed(str(identity.get("birth", "")).split("-")))
        self.desk.prefill = self.t("ID card: {id} · {name} · born {birth}").format(
            id=mask_id(str(identity.get("id", ""))), name=identity.get("name", ""), birth=birth
        )

    def _desk_error(self, error: BaseException) -> None:
        desk = self.desk
        if isinstance(error, CentralUnreachable):
            desk.say(self.t(OFFLINE_WORDS), "error")
            self.sync.check_now()  # the status line says so at once, not at the next poll
        elif isinstance(error, RatingPending):
            desk.say(
                self.t("The citizen may still rate the last session ({seconds} s).").format(
                    seconds=int(error.seconds_left)
                ),
                "error",
            )
        elif isinstance(error, SessionOpen):
            self._show_session(error.session)
        else:
            log.error("counter action failed: %s", error)
            desk.say(self.t("That did not work. Please try again."), "error")

    def _sync_changed(self, status: SyncStatus) -> None:
        """The server is back: a message that it cannot be reached is no longer true."""
        super()._sync_changed(status)
        if status.state == ONLINE and self.desk.message == self.t(OFFLINE_WORDS):
            self.desk.say("")

    # ----------------------------------------------------------------- the citizen's side

    def _show_rating(self) -> None:
        """The faces appear now; the citizen's time (and the instant-press check) counts from
        this moment, handed to the service with the window's opening."""
        rating = self.settings.rating
        scale = rating.citizen_scale
        labels = [scale.label(level, self.language) for level in range(1, scale.levels + 1)]
        screen: CounterRatingScreen = self.root.get_screen("counter_rating")
        screen.show_scale(rating.question(self.language), labels)
        self.root.current = "counter_rating"
        self._rating_open = True
        self._negative = None
        shown_at = self._office_clock()

        def opened(window: RatingWindow) -> None:
            if self._rating_open:
                self.window = window
                self._tick()

        self.in_background(lambda: self.counter.open_rating(shown_at), opened, self._desk_error)

    def _keypad_pressed(self, level: int, at: float) -> None:
        """A button of the physical keypad, pressed at `at` (time.monotonic of the read)."""
        pressed_at = self._office_clock() - timedelta(seconds=time.monotonic() - at)
        self.citizen_pressed(level, pressed_at)

    def citizen_pressed(self, level: int, pressed_at: datetime | None = None) -> None:
        """A face was pressed (or a keypad button): the press time is taken here, at once."""
        if not self._rating_open:
            return
        pressed_at = pressed_at or self._office_clock()
        negative = level in self.settings.rating.citizen_scale.negative
        if negative and self.root.current == "counter_rating":
            self._negative = (level, pressed_at)
            self._show_reasons()
            return
        self._record(level, [], pressed_at)

    def _show_reasons(self) -> None:
        box = self.root.get_screen("counter_reasons").ids.reasons
        box.clear_widgets()
        for reason in self.settings.rating.reasons:
            toggle = CheckToggle(text=reason.text(self.language), font_size=mm(5), fill="#B71C1C")
            toggle.reason_id = reason.id
            box.add_widget(toggle)
        self.root.current = "counter_reasons"

    def send_reasons(self) -> None:
        if self._negative is None:
            return
        level, pressed_at = self._negative
        self._negative = None
        self._record(level, self._chosen_reasons(), pressed_at)

    def _chosen_reasons(self) -> list[str]:
        box = self.root.get_screen("counter_reasons").ids.reasons
        return [t.reason_id for t in reversed(box.children) if t.state == "down"]

    def _record(self, level: int, reasons: list[str], pressed_at: datetime) -> None:
        self.in_background(
            lambda: self.counter.record_citizen_rating(level, reasons, pressed_at),
            lambda _recorded: None,
            self._desk_error,
        )
        if self.root.current in ("counter_rating", "counter_reasons"):
            self.root.current = "counter_thanks"

    def _end_rating(self) -> None:
        """The citizen's time is over (or the screens were left): a negative press waiting
        for its reasons is recorded as it is; no press at all is recorded as not rated."""
        if self._negative is not None:
            level, pressed_at = self._negative
            self._negative = None
            self._record(level, self._chosen_reasons(), pressed_at)
        self.window = None
        self._rating_open = False
        # Same worker as the presses, so it runs after any rating still being recorded.
        self.in_background(self.counter.rating_timed_out, lambda _: None, self._desk_error)

    def _tick(self) -> None:
        """Twice a second: the citizen's countdown, and the time running on the desk."""
        window = self.window
        if window is not None:
            left = (window.deadline - self._office_clock()).total_seconds()
            for name in ("counter_rating", "counter_reasons"):
                self.root.get_screen(name).seconds_left = max(0, left)
            if left <= 0 and self.root.current in RATING_SCREENS:
                self.go_home()
        session = self.session
        if session is not None:
            since = session.started_at or session.called_at
            seconds = max(0, int((self._office_clock() - since).total_seconds()))
            self.desk.elapsed = f"{seconds // 60:02d}:{seconds % 60:02d}"
