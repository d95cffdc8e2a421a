"""Walking an app by touch through its states at a panel size, auditing each state
(tests/support/layout_audit.py); the problems are reported together at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from kivy.core.window import Window
from kivy.metrics import Metrics

from kiosk.config.device import panel_dpi
from tests.support.layout_audit import Problem, audit
from tests.support.ui import frames, pump, screenshot

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]


@contextlib.contextmanager
def panel(size: tuple[int, int]) -> Iterator[float]:
    """The window at `size` with the pixel density of that panel; yields pixels per mm."""
    saved = Metrics.dpi
    Metrics.dpi = panel_dpi(*size)
    try:
        yield Metrics.dpi / 25.4
    finally:
        Metrics.dpi = saved


class WalkStopped(Exception):
    """A step of the walk could not be done by touch."""


class Auditor:
    """Audits each state the walk reaches; the problems are reported together at the end."""

    def __init__(self, app, folder: Path, px_per_mm: float) -> None:
        self.app = app
        self.folder = folder
        self.px_per_mm = px_per_mm
        self.problems: list[Problem] = []
        self.last_state = "start"

    def reach(self, condition: Callable[[], bool]) -> None:
        """Waits for what the last touches should have done; when they did not (a key under
        another widget, a button off the window), the walk ends there, reported as a problem."""
        if not pump(condition):
            width, height = Window.size
            problem = Problem(
                self.app.root.current,
                self.last_state,
                (width, height),
                "the walk",
                "the next step cannot be reached by touch from here",
            )
            self.problems.append(problem)
            raise WalkStopped(str(problem))

    def check(self, state: str) -> None:
        self.last_state = state
        frames(3)
        screen = self.app.root.current
        width, height = Window.size
        frame = screenshot(self.folder / f"{width}x{height}-{screen}-{state}.png")
        self.problems += audit(
            Window, screen=screen, state=state, px_per_mm=self.px_per_mm, frame=frame
        )


def report(problems: list[Problem]) -> str:
    return f"{len(problems)} layout problems:\n" + "\n".join(str(p) for p in problems)
