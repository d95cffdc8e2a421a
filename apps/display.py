"""The hall display app (role "display"): the one place that assembles the board, the links that
bring the calls (the server's feed, the counters over the office network), the announcer and the
technician menu.

Calls from both paths go to one HallBoard on the main thread; a call new to the board and fresh
is shown large and handed to the announcer's queue (one voice, never two at once). The worker
threads only fetch and listen; every result comes back through Clock.schedule_once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from apps.base import DeviceApp
from common.version import __version__
from kiosk.announcer import Announcement, Announcer
from kiosk.config import Config
from kiosk.enrolment import CentralLink
from kiosk.hall_board import HallBoard
from kiosk.hall_calls import HallCall
from kiosk.hall_feed import OFFLINE, ONLINE, CallFeed, FeedStatus
from kiosk.hall_key import HallKeyStore
from kiosk.hall_network import HallListener
from kiosk.i18n import N_
from kiosk.queue_snapshot import QueueWatcher
from kiosk.services import DeviceData
from screens.display_board import DisplayBoardScreen
from screens.display_technician import DisplayTechnicianScreen
from screens.technician_login import TechnicianLoginScreen

log = logging.getLogger("apps.display")

TICK_SECONDS = 0.5
KEY_REFRESH_SECONDS = 300
TECHNICIAN_IDLE_SECONDS = 120

FEED_WORDS = {
    "connecting": N_("Connecting to the central server…"),
    "not_configured": N_("Central server: not configured"),
    "unauthorized": N_("This device is not authorised by the central server"),
}


class DisplayApp(DeviceApp):
    """The board in the hall: shows and announces the calls of every counter."""

    home_screen = "display_board"
    status_counts_pending = False
    clock_text = StringProperty("")
    date_text = StringProperty("")

    def __init__(self, config: Config, data: DeviceData, **kwargs: Any) -> None:
        super().__init__(config, data, **kwargs)
        clock = self._office_clock
        self.board = HallBoard(
            config.hall,
            office=config.office.code,
            day_of=config.office.day_rule.day_of,
            clock=clock,
            monotonic=time.monotonic,
        )
        self.feed_status = FeedStatus("connecting")

        def later(action):
            return lambda *args: Clock.schedule_once(lambda _dt: action(*args))

        self.feed = CallFeed(
            config,
            on_calls=later(self._feed_calls),
            on_status=later(self._feed_changed),
            clock=clock,
        )
        # The waiting counts (its own link: one client per thread).
        self.queue = QueueWatcher(
            data.store, CentralLink(config), config.office.code, config.hall.queue_interval
        )
        # Its own link, used on the I/O worker only (_refresh_key).
        self.hall_keys = HallKeyStore(
            config.device.data_dir, config.office.code, CentralLink(config), clock
        )
        self.listener = HallListener(
            config,
            self.hall_keys,
            on_call=later(lambda call: self.calls_arrived([call])),
            clock=clock,
        )
        self.announcer = Announcer.from_config(config, clock=clock, on_event=self._speech_event)
        self.last_speech_error = ""
        self._shown: tuple[Any, ...] = ()

    def build(self) -> ScreenManager:
        manager = ScreenManager(transition=NoTransition())
        manager.add_widget(
            DisplayBoardScreen(name="display_board", recent_rows=self.settings.hall.recent_calls)
        )
        manager.add_widget(
            TechnicianLoginScreen(name="technician_login", timeout=TECHNICIAN_IDLE_SECONDS)
        )
        manager.add_widget(
            DisplayTechnicianScreen(name="technician", timeout=TECHNICIAN_IDLE_SECONDS)
        )
        manager.current = self.home_screen
        self._tick()
        self.update_status()
        return manager

    def on_start(self) -> None:
        super().on_start()
        self.announcer.start()
        self.listener.start()
        self.feed.start()
        self.queue.start()
        self.every(TICK_SECONDS, self._tick)
        self.every(KEY_REFRESH_SECONDS, self._refresh_key)
        self._refresh_key()
        log.info(
            "hall display %s started: office %s, device %s",
            __version__,
            self.settings.office.code,
            self.settings.device.id,
        )

    def shutdown(self) -> None:
        self.feed.stop()
        self.queue.stop(timeout=1)
        self.listener.stop()
        self.announcer.stop(timeout=2)
        super().shutdown()
        self.hall_keys.stop()  # after the I/O worker: it may be refreshing the key

    @property
    def board_screen(self) -> DisplayBoardScreen:
        return self.root.get_screen("display_board")

    # ----------------------------------------------------------------- calls

    def _feed_calls(self, calls: list[HallCall], history: bool) -> None:
        if history:
            self.board.add_history(calls)
            self._show_board()
        else:
            self.calls_arrived(calls)

    def calls_arrived(self, calls: list[HallCall]) -> None:
        """Calls from either path, on the main thread: each new and fresh one is shown large
        and announced, once."""
        for call in calls:
            if self.board.add(call):
                log.info(
                    "shown: %s %s at counter %d (%s)", call.kind, call.label, call.counter, call.key
                )
                self.announcer.announce(
                    Announcement(
                        key=call.key,
                        label=call.label,
                        counter=call.counter,
                        recall=call.kind == "recall",
                    )
                )
        self._show_board()

    def _tick(self) -> None:
        self.board.tick()
        now = self._office_clock().astimezone(self.settings.office.timezone)
        # Hours and minutes, as a hall clock: the board is drawn again once a minute, not
        # every second, when nothing is called.
        self.date_text, self.clock_text = f"{now:%d/%m/%Y}", f"{now:%H:%M}"
        self._show_board()

    def _show_board(self) -> None:
        """Hands the board's state to the screen, when it changed."""
        if self.root is None:
            return
        hero = self.board.hero
        counter_words = self.t("Counter {number}")
        recent = tuple(
            (item.call.label, counter_words.format(number=item.call.counter), item.highlighted)
            for item in self.board.recent()
        )
        hero_view = (
            (
                hero.label,
                self.t("Please come to counter {number}").format(number=hero.counter),
                self.board.hero_highlighted,
            )
            if hero
            else ("", "", False)
        )
        fields, note = self._field_cards()
        shown = (hero_view, recent, fields, note, self.language)
        if shown == self._shown:
            return
        self._shown = shown
        screen = self.board_screen
        screen.show_hero(*hero_view)
        screen.show_recent(list(recent))
        screen.show_fields(list(fields), note)
        screen.notice = self.settings.hall.notice(self.language)

    def _field_cards(self) -> tuple[tuple[tuple[str, str, str], ...], str]:
        """Each field's waiting count and estimated wait, while the server's queue is fresh;
        otherwise the fields with no count, and since when it is not known."""
        snapshot = self.queue.fresh()
        cards = []
        for field_id in self.settings.hall.fields:
            field = snapshot.fields.get(field_id) if snapshot else None
            if snapshot is None:
                waiting, wait = self.t("waiting: –"), ""
            else:
                count = field.waiting if field else 0
                minutes = field.estimated_wait_minutes if field else None
                waiting = self.t("{count} waiting").format(count=count)
                wait = (
                    self.t("about {minutes} min").format(minutes=max(1, round(minutes)))
                    if count and minutes is not None
                    else ""
                )
            cards.append((self.field_name(field_id), waiting, wait))
        if snapshot is not None:
            return tuple(cards), ""
        last = self.queue.latest()
        if last is None:
            return tuple(cards), self.t("not known yet")
        since = last.generated_at.astimezone(self.settings.office.timezone)
        return tuple(cards), self.t("not updated since {time}").format(time=f"{since:%H:%M}")

    # ----------------------------------------------------------------- status line

    def _feed_changed(self, status: FeedStatus) -> None:
        self.feed_status = status
        if status.state == ONLINE:
            self._refresh_key()
        self.update_status()

    def _network_words(self) -> str:
        status = self.feed_status
        if status.state == ONLINE:
            return self.t("Central server: connected")
        if status.state == OFFLINE:
            since = status.since or self._office_clock()
            local = since.astimezone(self.settings.office.timezone)
            words = self.t("Lost connection to the server since {time}").format(
                time=f"{local:%H:%M}"
            )
            if self.hall_keys.current() is not None:
                words += "  ·  " + self.t("calls from the counters still arrive")
            return words
        return self.t(FEED_WORDS[status.state])

    def update_status(self) -> None:
        super().update_status()
        if self.feed_status.state not in (ONLINE, "connecting"):
            self.status_alert = True

    def _refresh_key(self) -> None:
        """Fetch the office's hall key when the server answers (it signs the counters' calls)."""
        self.in_background(
            self.hall_keys.refresh,
            lambda _result: None,
            lambda error: log.info("hall key not refreshed: %s", error),
        )

    # ----------------------------------------------------------------- technician

    def role_fact_rows(self) -> list[tuple[str, str]]:
        feed = self.feed_status
        rows = []
        if feed.problem:
            rows.append((self.t("Central server"), feed.problem))
        rows.append((self.t("Office network"), self.listener.describe(self.t)))
        rows.append((self.t("Speech"), self._speech_words()))
        hero = self.board.hero
        if hero is not None:
            moment = hero.occurred_at.astimezone(self.settings.office.timezone)
            rows.append(
                (
                    self.t("Last call"),
                    f"{hero.label}, {self.t('Counter {number}').format(number=hero.counter)}"
                    f"  ({moment:%H:%M:%S})",
                )
            )
        return rows

    def _speech_event(self, kind: str, key: str, when: Any) -> None:
        """From the announcer's player thread: only logged (the journal of the virtual speaker
        and the bench read the same moments)."""
        log.info("speech %s: %s", kind, key)

    def _speech_words(self) -> str:
        state = self.announcer.state()
        if not state.enabled:
            return self.t("off ([speech] enabled = false)")
        words = [
            state.engine,
            self.t("output: {output}").format(output=state.output),
            self.t("played {played}, failed {failed}, waiting {waiting}").format(
                played=state.played, failed=state.failed, waiting=state.queue_depth
            ),
        ]
        if state.voice_pack is not None:
            words.append(
                self.t("voice pack: {found} words, {missing} missing").format(
                    found=len(state.pack_words_found), missing=len(state.pack_words_missing)
                )
            )
        if state.last_error:
            words.append(self.t("last error: {error}").format(error=state.last_error))
        return "  ·  ".join(words)

    def test_speaker(self) -> None:
        screen: DisplayTechnicianScreen = self.root.get_screen("technician")
        self.announcer.test()
        screen.show_message(self.t("Test announcement queued"))
