"""The hall's one announcement queue: every call is said once, in the order it came, and no
announcement ever overlaps or cuts another.

`announce()` only queues (from any thread). A synthesis thread turns each announcement into a
clip (the chime, then the words of kiosk.announcement_text, through devices.speech) while the
clip before it plays, and hands it over one at a time to the player thread, which alone plays,
so plays never overlap. A clip that cannot be made or played is reported (on_event "failed",
`state().last_error`) and the queue goes on with the next. Nothing is dropped, however many
calls come at once.

The volume is chosen when a clip starts: during quiet hours (office time zone, the injected
clock) it is `quiet_volume`, and at 0 the clip is not played but reported "skipped" and
logged as skipped-quiet. Clips are cached by (number, counter, call or recall).

`on_event(kind, key, when)` is called from the player thread, kind one of EVENT_KINDS:
"started" just before the first sample is handed to the speaker, "finished" once it has been
heard, "failed" (not made or not played), "skipped" (quiet hours at volume 0, or speech
disabled). `when` is the injected clock's time. The caller marshals to its UI thread.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from common.office_clock import aware_now
from devices import pcm
from devices.speaker import AlsaSpeaker, Speaker, SpeakerError, VirtualSpeaker
from devices.speech import EspeakEngine, Rendering, SpeechError, SpeechPart, Synthesizer, VoicePack
from kiosk.quiet_hours import is_quiet

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kiosk.announcement_text import Wording
    from kiosk.config import Config
    from kiosk.config.speech import SpeechConfig

log = logging.getLogger("kiosk.announcer")

EVENT_KINDS = ("started", "finished", "failed", "skipped")
OnEvent = Callable[[str, str, datetime], None]
CACHE_SIZE = 64
_STOP = object()


@dataclass(frozen=True)
class Announcement:
    """One call to say: `key` names it (kiosk.hall_calls), `label` the ticket ("1023",
    "A012"), `counter` the counter number; `recall`: the officer pressed "Gọi lại"."""

    key: str
    label: str
    counter: int
    recall: bool = False


@dataclass(frozen=True)
class AnnouncerState:
    """What the technician's status and the bench read."""

    enabled: bool
    running: bool
    engine: str  # "espeak-ng", or "voice pack + espeak-ng"
    output: str  # "alsa" | "virtual"
    voice_pack: Path | None
    pack_words_found: tuple[str, ...]  # of every word a call may say
    pack_words_missing: tuple[str, ...]  # said by espeak-ng instead
    last_error: str | None
    queue_depth: int  # announcements accepted and not yet finished
    played: int
    failed: int


@dataclass(frozen=True)
class _Job:
    key: str
    parts: Callable[[], tuple[SpeechPart, ...]]  # the words, made on the synthesis thread
    cache_key: tuple[object, ...]


def synthesizer_from_config(speech: SpeechConfig) -> tuple[Synthesizer, str | None]:
    """The synthesiser of [speech], and the problem with its voice pack if it cannot be used
    (then espeak-ng says everything)."""
    pack, problem = None, None
    if speech.voice_pack is not None:
        try:
            pack = VoicePack(speech.voice_pack)
        except SpeechError as error:
            problem = str(error)
    return Synthesizer(EspeakEngine(speech.rate), pack, speech.word_gap), problem


def pack_coverage(
    synthesizer: Synthesizer, speech: SpeechConfig
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words a call may say that the voice pack has clips for, and those it lacks (said by
    espeak-ng); both empty without a pack."""
    if synthesizer.pack is None:
        return (), ()
    phrases = speech.wording.phrases(speech.test_text)
    missing = synthesizer.pack.uncovered(phrases)
    words = dict.fromkeys(word for phrase in phrases for word in phrase)
    return tuple(w for w in words if w not in missing), missing


def speaker_from_config(speech: SpeechConfig) -> Speaker:
    if speech.output == "virtual":
        return VirtualSpeaker(speech.virtual_dir)
    return AlsaSpeaker(speech.alsa_device)


class Announcer:
    """The one queue of the hall's announcements and its two threads (see the module)."""

    def __init__(
        self,
        speech: SpeechConfig,
        synthesizer: Synthesizer,
        speaker: Speaker,
        timezone: ZoneInfo,
        *,
        clock: Callable[[], datetime] = aware_now,
        on_event: OnEvent | None = None,
    ) -> None:
        self.speech = speech
        self.wording: Wording = speech.wording
        self.synthesizer = synthesizer
        self.speaker = speaker
        self.timezone = timezone
        self._clock = clock
        self._on_event = on_event
        self._inbox: queue.Queue[object] = queue.Queue()
        self._ready: queue.Queue[object] = queue.Queue(maxsize=1)  # one clip made ahead
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[object, ...], Rendering] = OrderedDict()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._depth = 0
        self._played = 0
        self._failed = 0
        self._tests = 0
        self._last_error: str | None = None
        self._found, self._missing = pack_coverage(synthesizer, speech)

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        clock: Callable[[], datetime] = aware_now,
        on_event: OnEvent | None = None,
    ) -> Announcer:
        """The announcer of [speech]; starts nothing (start() does)."""
        synthesizer, problem = synthesizer_from_config(config.speech)
        announcer = cls(
            config.speech,
            synthesizer,
            speaker_from_config(config.speech),
            config.office.timezone,
            clock=clock,
            on_event=on_event,
        )
        if problem:
            log.warning("voice pack not used: %s", problem)
            announcer._last_error = problem
        return announcer

    def start(self) -> None:
        """Start the two threads (once: an announcer is not started again after stop())."""
        if self._threads or self._stopping.is_set():
            raise RuntimeError("an announcer is started once")
        engine = self.synthesizer.engine.executable
        if shutil.which(engine) is None:
            self._note_error(f"{engine} is not installed: install it with apt install espeak-ng")
        self._threads = [
            threading.Thread(target=self._synthesis_loop, name="announcer-synth", daemon=True),
            threading.Thread(target=self._play_loop, name="announcer-play", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("announcer started: %s to %s", self._engine_name(), self.speaker.name)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop after the clip playing now (queued announcements are not played)."""
        if not self._threads or self._stopping.is_set():
            return
        self._stopping.set()
        self._inbox.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)

    def announce(self, announcement: Announcement) -> None:
        """Queue a call's announcement (any thread; returns at once). A label that cannot be
        read ("12-3") is reported "failed" in its turn, like any clip that cannot be made."""

        def parts() -> tuple[SpeechPart, ...]:
            return self.wording.parts(
                announcement.label, announcement.counter, recall=announcement.recall
            )

        cache_key = (announcement.label, announcement.counter, announcement.recall)
        self._put(_Job(announcement.key, parts, cache_key))

    def test(self) -> str:
        """Queue the technician's speaker test (test_text); returns its key."""
        with self._lock:
            self._tests += 1
            key = f"test:{self._tests}"
        self._put(_Job(key, lambda: self.wording.phrase(self.speech.test_text), ("test",)))
        return key

    def state(self) -> AnnouncerState:
        with self._lock:
            return AnnouncerState(
                enabled=self.speech.enabled,
                running=any(t.is_alive() for t in self._threads),
                engine=self._engine_name(),
                output=self.speaker.name,
                voice_pack=self.synthesizer.pack.folder if self.synthesizer.pack else None,
                pack_words_found=self._found,
                pack_words_missing=self._missing,
                last_error=self._last_error,
                queue_depth=self._depth,
                played=self._played,
                failed=self._failed,
            )

    def _engine_name(self) -> str:
        return "voice pack + espeak-ng" if self.synthesizer.pack else "espeak-ng"

    def _put(self, job: _Job) -> None:
        with self._lock:
            self._depth += 1
        self._inbox.put(job)

    def _synthesis_loop(self) -> None:
        while True:
            job = self._inbox.get()
            if job is _STOP or self._stopping.is_set():
                self._ready.put(_STOP)
                return
            assert isinstance(job, _Job)
            made: Rendering | str | None = None  # None: speech disabled, nothing to make
            if self.speech.enabled:
                try:
                    made = self._render(job)
                except (SpeechError, ValueError) as error:
                    made = str(error)
            self._ready.put((job, made))

    def _render(self, job: _Job) -> Rendering:
        with self._lock:
            if job.cache_key in self._cache:
                self._cache.move_to_end(job.cache_key)
                return self._cache[job.cache_key]
        rendering = self.synthesizer.render(job.parts(), chime=self.speech.chime)
        with self._lock:
            self._cache[job.cache_key] = rendering
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return rendering

    def _play_loop(self) -> None:
        while True:
            item = self._ready.get()
            if item is _STOP:
                return
            if self._stopping.is_set():
                continue  # stopping: not played; wait for the synthesis thread's _STOP
            job, made = item  # type: ignore[misc]
            try:
                if made is None:
                    log.info("announcement %s skipped: speech disabled", job.key)
                    self._emit("skipped", job.key)
                elif isinstance(made, str):
                    self._fail(job.key, f"announcement not made: {made}", made)
                else:
                    self._play(job, made)
            finally:
                with self._lock:
                    self._depth -= 1

    def _play(self, job: _Job, rendering: Rendering) -> None:
        quiet = is_quiet(self.speech.quiet_hours, self._clock(), self.timezone)
        volume = self.speech.quiet_volume if quiet else self.speech.volume
        if volume == 0:
            log.info("announcement %s skipped-quiet (quiet hours, volume 0)", job.key)
            self._emit("skipped", job.key)
            return
        sound = pcm.scaled(rendering.sound, volume)
        self._emit("started", job.key)
        try:
            self.speaker.play(sound, key=job.key, text=rendering.text)
        except SpeakerError as error:
            self._fail(job.key, f"announcement not played: {error}", str(error))
            return
        with self._lock:
            self._played += 1
        log.info(
            "announcement %s played (%.1f s, volume %d%s)",
            job.key,
            sound.seconds,
            volume,
            ", quiet hours" if quiet else "",
        )
        self._emit("finished", job.key)

    def _fail(self, key: str, message: str, error: str) -> None:
        log.error("%s: %s", key, message)
        with self._lock:
            self._failed += 1
        self._note_error(error)
        self._emit("failed", key)

    def _note_error(self, error: str) -> None:
        with self._lock:
            self._last_error = error

    def _emit(self, kind: str, key: str) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(kind, key, self._clock())
        except Exception:  # the display's callback must not stop the queue
            log.exception("on_event(%s, %s) failed", kind, key)
