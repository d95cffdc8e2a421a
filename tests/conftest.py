"""Test set-up: Kivy runs headless (SDL offscreen), and must be told so before it is imported."""

import os

os.environ.update(
    SDL_VIDEODRIVER="offscreen",
    KIVY_NO_ARGS="1",
    KIVY_NO_CONFIG="1",
    KIVY_NO_FILELOG="1",
    KIVY_LOG_MODE="PYTHON",
    KIVY_DPI="150",
)
