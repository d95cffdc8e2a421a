"""The setup screen of a device never provisioned, in the real Kivy window: the form filled in
by touch (on-screen keyboard) and saved, enrolling against the real central server; the
provisioning QR read by the virtual scanner on a pty, which provisions and enrols in one step;
each writes a site file that load_config reads back. And the screen audited at every panel."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.setup import SetupApp
from devices.virtual_scanner import VirtualScanner
from kiosk.config import Config, load_config
from kiosk.config.site_writer import is_provisioned
from kiosk.enrolment import load_enrolment
from tests.support.central import CentralServer, central_server, issue_enroll_code
from tests.support.device import OFFICE, write_override
from tests.support.layout_walk import SIZES, Auditor, WalkStopped, panel, report
from tests.support.provisioning import provisioning_text
from tests.support.ui import frames, pump, shown_app, tap


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralServer]:
    with central_server(tmp_path_factory.mktemp("central")) as server:
        yield server


@contextlib.contextmanager
def setup_app(etc: Path, size: tuple[int, int] = (800, 480)) -> Iterator[SetupApp]:
    """The setup app in the window (by default the smallest panel: its frames draw fastest)."""
    saved: list[Config] = []
    app = SetupApp(load_config(etc), etc, finished=saved.append)
    with shown_app(app, size):
        # The ports and the shipped secrets are looked up in the background: once their warning
        # is in, the form no longer moves under a finger (every test device has the shipped PIN).
        assert pump(lambda: "246810" in app.setup_screen.warning)
        frames(3)
        yield app


def type_text(app: SetupApp, text: str) -> None:
    """Types on the on-screen keyboard, by touch, and taps OK."""
    keyboard = app.root.get_screen("keyboard")
    keys = {button.key: button for button in keyboard.ids.key_grid.children}
    for character in text:
        if character.isupper() != keyboard.capitals and character.isalpha():
            tap(keys["shift"])
        tap(keys[character.lower()])
    tap(keys["ok"])


def edit(app: SetupApp, key: str, text: str | None = None) -> None:
    """Taps a setting's row (scrolled to first); a typed one is cleared and typed anew."""
    screen = app.setup_screen
    row = screen.row(key)
    screen.ids.form_scroll.scroll_to(row, padding=0, animate=False)
    tap(row)
    if text is not None:
        assert pump(lambda: app.root.current == "keyboard")
        keyboard = app.root.get_screen("keyboard")
        delete = next(b for b in keyboard.ids.key_grid.children if b.key == "del")
        while keyboard.entry:
            tap(delete)
        type_text(app, text)
        assert pump(lambda: app.root.current == "setup")


def test_the_form_filled_in_by_touch_provisions_and_enrols(
    tmp_path: Path, central: CentralServer
) -> None:
    etc = write_override(tmp_path / "etc")
    # A code that names no device: the device's id is the form's (the shipped lobby-01, which
    # follows the role while untouched: counter-01).
    code = issue_enroll_code(central.database_url, OFFICE, "counter", counter=7)
    with setup_app(etc) as app:
        edit(app, "role")  # lobby -> counter
        assert app.values["device_id"] == "counter-01"
        edit(app, "counter", "7")
        edit(app, "api_url", central.url)
        edit(app, "code", code.lower().replace("-", ""))  # as the server reads it
        edit(app, "language")  # vi -> en
        edit(app, "rating_seconds")  # 30 s -> 45 s, the citizen's time to rate
        assert app.setup_screen.row("rating_seconds").text.endswith(": 45 s")
        tap(app.setup_screen.ids.save)
        assert pump(lambda: app.provisioned is not None, timeout=20), app.setup_screen.message
    config = load_config(etc)
    assert (config.device.role, config.device.id, config.counter.number) == (
        "counter",
        "counter-01",
        7,
    )
    assert config.counter.rating_seconds == 45
    assert config.device.language == "en" and is_provisioned(etc)
    enrolment = load_enrolment(config.device.data_dir)
    assert enrolment is not None and (enrolment.counter, enrolment.api_url) == (7, central.url)


def test_a_bad_entry_is_named_and_nothing_is_saved(tmp_path: Path) -> None:
    etc = write_override(tmp_path / "etc")
    before = (etc / "kiosk.toml").read_bytes()
    with setup_app(etc) as app:
        edit(app, "office", "637")
        tap(app.setup_screen.ids.save)
        # One Vietnamese sentence naming the field, not the configuration's English.
        assert pump(lambda: app.setup_screen.message.startswith("Mã đơn vị là 5 chữ số"))
        edit(app, "office", "00637")
        edit(app, "api_url", "http:/abc")
        edit(app, "code", "ABCD-EFGH")
        tap(app.setup_screen.ids.save)
        assert pump(lambda: "bắt đầu bằng https://" in app.setup_screen.message)
        assert app.provisioned is None
    assert (etc / "kiosk.toml").read_bytes() == before


def test_the_provisioning_qr_provisions_and_enrols_in_one_step(
    tmp_path: Path, central: CentralServer
) -> None:
    twin = VirtualScanner(tmp_path / "qr-scanner")
    etc = write_override(tmp_path / "etc", kiosk=f'[scanner]\nurl = "{twin.device_path}"\n')
    text = provisioning_text(
        central.url, central.database_url, "display", "display-01", office_name="Phường Tây Mỗ"
    )
    try:
        with setup_app(etc) as app:
            assert pump(lambda: app.scanner is not None and app.scanner.state == "connected")
            twin.scan("001089012345||Nguyễn Văn A|01011989|Nam|Hà Nội|01012022".encode())
            assert pump(lambda: app.setup_screen.message == app.t("This is not a provisioning QR."))
            twin.scan(text.encode())
            assert pump(lambda: app.provisioned is not None, timeout=20), app.setup_screen.message
    finally:
        twin.close()
    config = load_config(etc)
    assert (config.device.role, config.office.name) == ("display", "Phường Tây Mỗ")
    assert config.scanner.url == twin.device_path  # the device's own port, kept
    assert load_enrolment(config.device.data_dir) is not None


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_setup_screens_fit_every_panel(tmp_path: Path, size: tuple[int, int]) -> None:
    etc = write_override(tmp_path / "etc")
    with panel(size) as px_per_mm, setup_app(etc, size) as app:
        auditor = Auditor(app, tmp_path, px_per_mm)
        with contextlib.suppress(WalkStopped):
            auditor.check("the form, the PIN warning")
            tap(app.setup_screen.row("role"))  # a counter: the demo officers' warning too
            auditor.reach(lambda: app.setup_screen.warning.count("\n") == 1)
            auditor.check("the form, a counter's two warnings")
            tap(app.setup_screen.row("device_id"))
            auditor.reach(lambda: app.root.current == "keyboard")
            auditor.check("the keyboard")
            keyboard = app.root.get_screen("keyboard")
            tap(next(b for b in keyboard.ids.key_grid.children if b.key == "shift"))
            auditor.check("the keyboard, capitals")
    assert not auditor.problems, report(auditor.problems)
