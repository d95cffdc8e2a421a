"""The long-poll of the calls feed: answer at once when there is something to say, else wait
for the office's next call without a thread or a database connection (central.call_wakeups).
"""

from __future__ import annotations

import asyncio

from central import call_feed
from central.call_feed import Feed
from central.context import Central


async def next_calls(central: Central, office: str, after: int | None, wait: float) -> Feed:
    """Without `after`: the newest calls of the office day, at once (a display starting up).
    With it: the calls after `after` as soon as there is one, or none after `wait` seconds."""
    if after is None:
        return await asyncio.to_thread(_latest, central, office)
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        with central.wakeups.watch(office) as woken:
            feed = await asyncio.to_thread(
                central.db.read, lambda conn: call_feed.after(conn, office, after)
            )
            remaining = deadline - asyncio.get_running_loop().time()
            if feed.calls or feed.last_seq < after or remaining <= 0 or central.wakeups.closed:
                return feed
            try:
                await asyncio.wait_for(woken.wait(), remaining)
            except TimeoutError:
                return feed


def _latest(central: Central, office: str) -> Feed:
    day = central.office_day(office, central.now())
    return central.db.read(lambda conn: call_feed.latest(conn, office, day))
