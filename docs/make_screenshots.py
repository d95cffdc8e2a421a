"""Regenerates the screenshots in docs/screenshots/ from the real app, headless.

SDL_VIDEODRIVER=offscreen .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import tests.conftest  # noqa: E402,F401  (headless Kivy set-up, before Kivy is imported)
from tests.ui_harness import frames, pump, running_lobby, screenshot, tap  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def play(tmp: Path, size: tuple[int, int]) -> None:
    tag = f"{size[0]}x{size[1]}"
    with running_lobby(tmp / tag, size=size) as (app, printer):
        screenshot(OUT / f"welcome-{tag}.png")
        tap(app.root.get_screen("welcome").ids.take_number)
        pump(lambda: app.root.current == "fields")
        fields = app.root.get_screen("fields")
        fields.ids.priority.state = "down"
        frames(3)
        screenshot(OUT / f"fields-{tag}.png")
        tap(fields.ids.grid.children[-3])
        pump(lambda: app.root.get_screen("ticket").print_state == "printed")
        screenshot(OUT / f"ticket-{tag}.png")
        if size == (1280, 800):
            printer.wait_for_pages(1, timeout=5)
            shutil.copy(printer.pages[0], OUT / "printed-ticket-80mm.png")
        app.go_home()
        printer.paper_out = True
        pump(lambda: app.status_alert)
        tap(app.root.get_screen("welcome").ids.take_number)
        pump(lambda: app.root.current == "fields")
        tap(app.root.get_screen("fields").ids.grid.children[-1])
        pump(lambda: app.root.get_screen("ticket").print_state == "failed")
        screenshot(OUT / f"ticket-print-failed-{tag}.png")
        app.go_home()
        app.root.current = "technician"
        pump(lambda: "1" in app.root.get_screen("technician").info, timeout=3)
        frames(3)
        screenshot(OUT / f"technician-{tag}.png")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in ((1280, 800), (800, 480)):
            play(Path(tmp), size)
    print(f"screenshots in {OUT}")
