"""Regenerates the hall display's screenshots in docs/screenshots/ from the real app, headless:
a real central server, a lobby that issued tickets in two fields, counters 1 and 2 calling them,
and the display following the server's calls feed and queue; then the server stops.

    .venv/bin/python docs/make_display_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import tests.conftest  # noqa: E402,F401  (headless Kivy set-up, before Kivy is imported)
from common.office_clock import aware_now  # noqa: E402
from tests.support.central import central_server  # noqa: E402
from tests.support.counter import PINS, Counter, Lobby  # noqa: E402
from tests.support.device import enrol  # noqa: E402
from tests.support.layout_walk import panel  # noqa: E402
from tests.support.ui import display_config, frames, pump, running_display, screenshot  # noqa: E402

OUT = REPO / "docs" / "screenshots"
SIZES = [(1920, 1080), (1080, 1920), (1280, 720)]  # the last one also with the server gone


def play(tmp: Path) -> None:
    server = central_server(tmp)
    central = server.__enter__()
    lobby = Lobby(tmp / "lobby", aware_now)
    lobby.enrol(central)
    for field_id in ["ho-tich"] * 14 + ["chung-thuc"] * 4 + ["cu-tru"] * 2:
        lobby.issue(field_id)
    lobby.sync()
    counters = []
    for number, officer in ((1, "officer-an"), (2, "officer-binh")):
        counter = Counter(tmp / f"counter{number}", aware_now, number=number)
        counter.enrol(central, counter=number)
        counter.officers.sign_in(officer, PINS[officer])
        counters.append(counter)
    config = display_config(
        tmp / "display", '[hall]\nnotice_vi = "Ông/Bà vui lòng chuẩn bị sẵn giấy tờ tùy thân"\n'
    )
    enrol(config, central)
    # Earlier calls, each session closed as a no-show: the display lists them when it starts.
    for counter in counters * 2:
        counter.service.call_next()
        counter.service.skip()
    for size in SIZES:
        tag = f"{size[0]}x{size[1]}"
        with panel(size), running_display(config, size=size) as app:
            pump(lambda app=app: app.board.hero is not None, timeout=10)
            pump(lambda app=app: app.queue.fresh() is not None, timeout=15)
            for counter in counters:  # two calls at once, while the display shows the board
                counter.service.call_next()
            pump(lambda app=app: app.board.waiting_turns == 1, timeout=5)
            app.board._hero_since -= 60  # the second call's turn now
            pump(lambda app=app: app.board.waiting_turns == 0, timeout=5)
            frames(4)
            screenshot(OUT / f"display-{tag}.png")
            if size == SIZES[-1]:
                server.__exit__(None, None, None)
                pump(lambda app=app: app.feed_status.state == "offline", timeout=20)
                frames(4)
                screenshot(OUT / f"display-offline-{tag}.png")
        if size != SIZES[-1]:
            for counter in counters:
                counter.service.skip()
    for device in [lobby, *counters]:
        device.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        play(Path(folder))


if __name__ == "__main__":
    main()
