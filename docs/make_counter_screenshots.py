"""Regenerates the counter terminal's screenshots in docs/screenshots/ from the real app,
headless, with a real central server and a lobby that issued ticket 1001.

    .venv/bin/python docs/make_counter_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import tests.conftest  # noqa: E402,F401  (headless Kivy set-up, before Kivy is imported)
from kiosk.enrolment import enroll  # noqa: E402
from tests.support.central import central_server, issue_enroll_code  # noqa: E402
from tests.support.clocks import Clock, office_morning  # noqa: E402
from tests.support.counter import Lobby  # noqa: E402
from tests.support.layout_walk import panel  # noqa: E402
from tests.support.ui import frames, pump, running_counter, screenshot, tap  # noqa: E402
from tests.test_counter_screens import counter_config, faces, sign_in  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def play(tmp: Path, size: tuple[int, int]) -> None:
    from kivy.core.window import Window  # after tests.conftest: the window's size is set there

    tag = f"{size[0]}x{size[1]}"
    with central_server(tmp) as central:
        lobby = Lobby(tmp / "lobby", Clock(office_morning()))
        lobby.enrol(central)
        lobby.issue("ho-tich")
        lobby.sync()
        config = counter_config(tmp)
        code = issue_enroll_code(central[1], "00637", "counter", counter=1, device_id="counter-01")
        enroll(config, api_url=central[0], code=code, ca_bundle=None)
        with panel(size), running_counter(config, size=size) as app:
            frames(4)
            screenshot(OUT / f"counter-signin-{tag}.png")
            sign_in(app)
            tap(app.desk.button("enter_number"))
            pump(lambda: app.root.current == "counter_entry")
            screenshot(OUT / f"counter-entry-{tag}.png")
            tap(app.root.get_screen("counter_entry").ids.cancel)
            pump(lambda: app.root.current == "counter_desk")
            tap(app.desk.button("call_next"))
            pump(lambda: app.desk.state == "called")
            screenshot(OUT / f"counter-called-{tag}.png")
            tap(app.desk.button("start_serving"))
            pump(lambda: app.desk.state == "serving")
            tap(app.desk.button("finish"))
            pump(lambda: app.root.current == "counter_close")
            close = app.root.get_screen("counter_close")
            frames(2)
            tap(close.ids.outcomes.children[-1])
            tap(next(w for w in close.level_toggles() if w.level == 1))
            screenshot(OUT / f"counter-close-{tag}.png")
            tap(close.ids.confirm)
            pump(lambda: app.root.current == "counter_rating")
            screenshot(OUT / f"counter-rating-{tag}.png")
            tap(faces(app)[2])
            pump(lambda: app.root.current == "counter_reasons")
            screenshot(OUT / f"counter-reasons-{tag}.png")
            tap(app.root.get_screen("counter_reasons").ids.send)
            pump(lambda: app.root.current == "counter_thanks")
            screenshot(OUT / f"counter-thanks-{tag}.png")
        lobby.close()
    Window.size = (1280, 800)


if __name__ == "__main__":
    for size in ((1280, 800), (800, 480)):
        with tempfile.TemporaryDirectory() as tmp:
            play(Path(tmp), size)
    print(f"screenshots in {OUT}")
