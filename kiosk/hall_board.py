"""What the hall display shows: the calls of the office day from every path, each once.

Calls come from the central server's feed and from the counters over the office network, in any
order and often twice; the board keeps one entry per call key. The newest call is shown large
(the "hero"); when several counters call within seconds the calls take the hero place in turn,
each for at least `hero_seconds`, and each stays highlighted in the list of recent calls until
`highlight_seconds` after its turn began, so none is lost or shown for only a moment. The list
holds the latest call of each ticket (a recall or a call to another counter replaces the older
line). A call that reaches the board long after it was made (`stale_after_seconds`: an outbox
draining after an outage) is listed but neither shown large nor announced.

Durations are measured on a monotonic clock, the office day and a call's age on the office
clock; both are injected. Not thread-safe: the display app uses it on the Kivy main thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.config.hall import HallConfig
from kiosk.hall_calls import HallCall

# Keys remembered per day beyond the calls listed: enough for a busy office's whole day.
SEEN_LIMIT = 20_000


@dataclass(frozen=True)
class ListedCall:
    call: HallCall
    highlighted: bool


class HallBoard:
    def __init__(
        self,
        config: HallConfig,
        *,
        office: str,
        day_of: Callable[[datetime], date],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
    ) -> None:
        self._config = config
        self._office = office
        self._day_of = day_of
        self._clock = clock
        self._monotonic = monotonic
        self._day = day_of(clock())
        self._seen: set[str] = set()
        self._latest: dict[str, HallCall] = {}  # ticket label -> its latest call
        self._turns: deque[HallCall] = deque()  # fresh calls still waiting for the hero place
        self._hero: HallCall | None = None
        self._hero_since = 0.0
        self._turn_began: dict[str, float] = {}  # call key -> when its hero turn began

    # ----------------------------------------------------------------- input

    def add(self, call: HallCall) -> bool:
        """Take a call from any path; True when it is new and fresh: show it large and announce
        it. A call of another office or day, or one already on the board, changes nothing."""
        self._roll_day()
        if not self._remember(call):
            return False
        age = (self._clock() - call.occurred_at).total_seconds()
        if age > self._config.stale_after_seconds:
            return False
        self._turns.append(call)
        self.tick()
        return True

    def add_history(self, calls: list[HallCall]) -> None:
        """Calls made before the display (re)started, from the server's recent calls: listed,
        the newest shown large, none highlighted or announced (they were, when they were made)."""
        self._roll_day()
        for call in calls:
            self._remember(call)
        if self._hero is None and self._latest:
            self._hero = max(self._latest.values(), key=lambda c: (c.occurred_at, c.key))

    def tick(self) -> bool:
        """Move the hero place on when its call has had its time; True when the hero changed."""
        if self._roll_day():
            return True
        now = self._monotonic()
        over = [k for k, t in self._turn_began.items() if now - t >= self._config.highlight_seconds]
        for key in over:
            del self._turn_began[key]
        if not self._turns:
            return False
        if self._hero is not None and now - self._hero_since < self._config.hero_seconds:
            return False
        self._hero = self._turns.popleft()
        self._hero_since = now
        self._turn_began[self._hero.key] = now
        return True

    # ----------------------------------------------------------------- what is shown

    @property
    def day(self) -> date:
        return self._day

    @property
    def hero(self) -> HallCall | None:
        """The call shown large: the one whose turn it is, else the newest."""
        return self._hero

    @property
    def hero_highlighted(self) -> bool:
        return self._hero is not None and self._highlighted(self._hero)

    @property
    def waiting_turns(self) -> int:
        """Calls still waiting for their turn in the hero place."""
        return len(self._turns)

    def recent(self) -> list[ListedCall]:
        """The latest call of each ticket, newest first, at most `recent_calls` of them; a
        call still waiting for its turn is always listed (and highlighted)."""
        ordered = sorted(self._latest.values(), key=lambda c: (c.occurred_at, c.key), reverse=True)
        shown = ordered[: self._config.recent_calls]
        waiting = {call.key for call in self._turns}
        missing = [c for c in ordered[len(shown) :] if c.key in waiting]
        if missing:  # more calls at once than lines: the oldest lines make way
            shown = sorted(
                shown[: max(0, len(shown) - len(missing))] + missing,
                key=lambda c: (c.occurred_at, c.key),
                reverse=True,
            )
        return [ListedCall(call, self._highlighted(call)) for call in shown]

    def next_change_in(self) -> float | None:
        """Seconds until something shown changes by itself (a turn or a highlight ends)."""
        now = self._monotonic()
        moments = [
            began + self._config.highlight_seconds - now
            for began in self._turn_began.values()
            if began + self._config.highlight_seconds > now
        ]
        if self._turns and self._hero is not None:
            moments.append(self._hero_since + self._config.hero_seconds - now)
        return max(0.0, min(moments)) if moments else None

    # ----------------------------------------------------------------- helpers

    def _remember(self, call: HallCall) -> bool:
        """List a call of this office and day not seen before (as its ticket's line when it is
        the ticket's latest call); False when it is not one."""
        if call.office != self._office or call.day != self._day or call.key in self._seen:
            return False
        if len(self._seen) >= SEEN_LIMIT:
            self._seen.clear()
        self._seen.add(call.key)
        latest = self._latest.get(call.label)
        if latest is None or (call.occurred_at, call.key) >= (latest.occurred_at, latest.key):
            self._latest[call.label] = call
        return True

    def _highlighted(self, call: HallCall) -> bool:
        if any(waiting.key == call.key for waiting in self._turns):
            return True
        began = self._turn_began.get(call.key)
        return began is not None and self._monotonic() - began < self._config.highlight_seconds

    def _roll_day(self) -> bool:
        """A new office day starts with an empty board; True when it did now. Only forward: a
        clock that steps back over the day's start (or the office clock going from the server's
        time to a device's that is behind) keeps the board, and what it has announced."""
        today = self._day_of(self._clock())
        if today <= self._day:
            return False
        self._day = today
        self._seen.clear()
        self._latest.clear()
        self._turns.clear()
        self._turn_began.clear()
        self._hero = None
        return True
