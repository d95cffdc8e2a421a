"""A configuration error on the device's screen, not a restart every 2 s: `kiosk run` (a real
process, a real offscreen window, a real sd_notify socket) shows it, reports ready with the
error in its STATUS=, and exits 0 once the file is fixed; 2 when no screen can show it (and
without a screen a valid configuration is one sentence too). The screen itself, audited at every
panel size (tests/support/layout_audit.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from kivy.core.window import Window

from apps.config_error import CONFIGURATION, STORAGE, ConfigErrorApp
from kiosk.config import ConfigError
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR, REPO_ROOT
from tests.support.layout_audit import audit
from tests.support.layout_walk import SIZES, panel
from tests.support.processes import folder_outside_pytest, kiosk_run_env
from tests.support.ui import frames, pump, screenshot, shown_app

BAD = '[device]\ndata_dir = "{data}"\n\n[panel]\nrotation = 45\n'
MALFORMED = '[device]\ndata_dir = "{data}"\n\n[panel\nrotation = 90\n'
GOOD = '[device]\ndata_dir = "{data}"\n\n[panel]\nrotation = 90\n'
MESSAGE = "/etc/kiosk/kiosk.toml: [panel] rotation = 45 — must be one of 0, 90, 180, 270"


def start_kiosk_run(config: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "run"],
        cwd=REPO_ROOT,
        env=kiosk_run_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kiosk_run_shows_a_configuration_error_until_the_file_is_fixed() -> None:
    with folder_outside_pytest() as folder:
        kiosk_run_shows_a_configuration_error_until_the_file_is_fixed(folder)


def kiosk_run_shows_a_configuration_error_until_the_file_is_fixed(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(MALFORMED.format(data=tmp_path / "data"), encoding="utf-8")
    notify = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(notify))
        server.settimeout(60)
        run = start_kiosk_run(config, {"NOTIFY_SOCKET": str(notify)})
        try:
            ready = server.recv(4096).decode()  # sent after the error screen's first frame
            assert ready.startswith("READY=1\nSTATUS=Configuration error: ")
            assert f"{config}: not valid TOML" in ready
            assert run.poll() is None  # still showing it, not exiting to be restarted
            config.write_text(GOOD.format(data=tmp_path / "data"), encoding="utf-8")
            assert run.wait(timeout=30) == 0
        finally:
            run.kill()
            _, stderr = run.communicate()
    assert f"Configuration error: {config}: not valid TOML" in stderr
    assert "the kiosk starts again" in stderr
    assert "Traceback" not in stderr


@pytest.mark.skipif(Path("/dev/dri").exists(), reason="this machine has a display to draw on")
def test_kiosk_run_exits_2_when_no_screen_can_show_the_error(tmp_path: Path) -> None:
    """As under systemd without a display (KMS/DRM and no /dev/dri): 2, which the unit does
    not restart (RestartPreventExitStatus=2)."""
    config = tmp_path / "kiosk.toml"
    config.write_text(BAD.format(data=tmp_path / "data"), encoding="utf-8")
    run = start_kiosk_run(config, {"SDL_VIDEODRIVER": "kmsdrm", "KIVY_WINDOW": "sdl2"})
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 2
    assert "Configuration error: " in stderr and "rotation = 45" in stderr
    assert "No screen to show the configuration error on (video driver kmsdrm)" in stderr
    assert "Traceback" not in stderr and 'File "' not in stderr


@pytest.mark.skipif(Path("/dev/dri").exists(), reason="this machine has a display to draw on")
def test_kiosk_run_without_a_screen_says_so_in_one_sentence(tmp_path: Path) -> None:
    """A valid configuration and no display (a panel not connected): exit 1, which systemd
    restarts, so that the panel is found once connected."""
    config = tmp_path / "kiosk.toml"
    config.write_text(GOOD.format(data=tmp_path / "data"), encoding="utf-8")
    run = start_kiosk_run(config, {"SDL_VIDEODRIVER": "kmsdrm", "KIVY_WINDOW": "sdl2"})
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 1
    assert "No screen to draw the kiosk on (video driver kmsdrm): is the panel connected?" in (
        stderr
    )
    assert "Traceback" not in stderr and 'File "' not in stderr


def test_the_error_screen_follows_the_file_and_ends_once_it_loads() -> None:
    answers: list[Exception | None] = [ConfigError("another mistake"), None]

    def reload() -> None:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if answer is not None:
            raise answer

    app = ConfigErrorApp(MESSAGE, reload, check_every=0.05)
    app.stop = lambda *_args: None  # the test window stays open for the other tests
    with shown_app(app, (800, 480)):
        assert pump(lambda: app.message == "another mistake")
        assert pump(lambda: app.fixed)


STORAGE_MESSAGE = (
    "Cannot open the database: Database damaged: /var/lib/kiosk/kiosk.db (database disk image is"
    " malformed): its outbox may hold events not yet sent; keep the file and see the README"
    ' ("Storage faults") for the recovery.'
)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("problem", "message"),
    [(CONFIGURATION, MESSAGE), (STORAGE, STORAGE_MESSAGE)],
    ids=["configuration", "storage"],
)
def test_the_error_screen_is_readable_on_every_panel(problem, message, size, tmp_path) -> None:
    def still_wrong() -> None:
        raise problem.persists(message)

    with panel(size) as px_per_mm:
        app = ConfigErrorApp(message, still_wrong, check_every=60, problem=problem)
        with shown_app(app, size):
            frames(3)
            shot = screenshot(tmp_path / f"start-problem-{size[0]}x{size[1]}.png")
            problems = audit(
                Window, screen="start problem", state="shown", px_per_mm=px_per_mm, frame=shot
            )
            texts = [widget.text for widget in app.root.ids.values()]
    assert problems == []
    vietnamese = Translator(LOCALE_DIR, "vi").gettext
    assert vietnamese(problem.title) in texts and problem.title in texts
    assert vietnamese(problem.advice) != problem.advice and vietnamese(problem.advice) in texts
    assert message in texts and problem.command in texts
