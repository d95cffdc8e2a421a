"""In-process wake-ups of the calls long-polls: a waiting request holds no thread and no
database connection, only an asyncio.Event of its office.

A long-poll registers (`watch`) before it reads the feed, then waits on the event: a call
committed between its read and its wait has already set the event, so no wake-up is lost. The
wake-ups come from the database watcher of this process (central.call_watch: every server
process sees every commit) and, sooner, from this process's own writers (`wake_soon`, from a
worker thread). `close` releases every long-poll at once, for a prompt shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator


class CallWakeups:
    """Lives on one event loop (the server's); only `wake_soon` may be called from threads."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiting: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the long-polls wait on (the server's, at start-up)."""
        self._loop = loop
        self.closed = False

    @contextlib.contextmanager
    def watch(self, office: str) -> Iterator[asyncio.Event]:
        """An event set at the next wake-up of `office` (at once once closed)."""
        event = self._events.get(office)
        if event is None:
            event = self._events[office] = asyncio.Event()
        if self.closed:
            event.set()
        self._waiting[office] += 1
        try:
            yield event
        finally:
            self._waiting[office] -= 1
            if not self._waiting[office]:
                del self._waiting[office]
                if self._events.get(office) is event:
                    del self._events[office]

    def offices(self) -> set[str]:
        """The offices a long-poll waits for now."""
        return set(self._waiting)

    def wake(self, office: str) -> None:
        event = self._events.pop(office, None)
        if event is not None:
            event.set()

    def wake_all(self) -> None:
        events, self._events = self._events, {}
        for event in events.values():
            event.set()

    def wake_soon(self, office: str) -> None:
        """wake(office) from any thread (a writer that has just committed a call)."""
        loop = self._loop
        if loop is None or self.closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(self.wake, office)

    def close(self) -> None:
        """Answer every long-poll now and every later one at once (the server is stopping)."""
        self.closed = True
        self.wake_all()
