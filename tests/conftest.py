"""Test set-up: Kivy runs headless (SDL offscreen), and must be told so before it is imported;
and the fixtures tests of several modules share."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.central import CentralProcess  # imports no Kivy

os.environ.update(
    SDL_VIDEODRIVER="offscreen",
    KIVY_NO_ARGS="1",
    KIVY_NO_CONFIG="1",
    KIVY_NO_FILELOG="1",
    KIVY_LOG_MODE="PYTHON",
    KIVY_DPI="150",
)

# The offscreen SDL surface keeps the size the window is created with: create it large enough
# for every size the tests use (1920×1080 landscape and the hall display's 1080×1920 portrait);
# every test that opens an app sets the size of its panel.
from kivy.config import Config

Config.set("graphics", "width", "1920")
Config.set("graphics", "height", "1920")


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralProcess]:
    """The real central server in a child process on SQLite in tmp_path, started."""
    with CentralProcess.in_folder(tmp_path) as server:
        server.start()
        yield server
