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
from tests.support.ui import frames, pump, running_lobby, screenshot, tap  # noqa: E402

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
        pump(lambda: bool(app.printer_notice))
        tap(app.root.get_screen("welcome").ids.take_number)
        pump(lambda: app.root.current == "fields")
        tap(app.root.get_screen("fields").ids.grid.children[-1])
        pump(lambda: app.root.get_screen("ticket").print_state == "failed")
        screenshot(OUT / f"ticket-print-failed-{tag}.png")
        app.go_home()
        app.open_technician_login()  # as a technician does: the PIN, then the menu
        keys = {b.key: b for b in app.root.get_screen("technician_login").ids.keypad.children}
        for key in (*"246810", "ok"):
            tap(keys[key])
        technician = app.root.get_screen("technician")
        pump(lambda: app.root.current == "technician")
        # The doctor's findings come from their own thread: shown once they are in.
        pump(lambda: "đang kiểm tra" not in str(technician.facts), timeout=10)
        frames(3)
        screenshot(OUT / f"technician-{tag}.png")


def play_citizen_id(tmp: Path) -> None:
    from devices.virtual_scanner import VirtualScanner

    scanner = VirtualScanner()
    extra = f'\n[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n'
    try:
        with running_lobby(tmp / "id", extra_config=extra) as (app, _printer):
            tap(app.root.get_screen("welcome").ids.take_number)
            pump(lambda: app.root.current == "fields")
            tap(app.root.get_screen("fields").ids.grid.children[-1])
            pump(lambda: app.root.current == "id_consent")
            screenshot(OUT / "id-consent-1280x800.png")
            tap(app.root.get_screen("id_consent").ids.agree)
            pump(lambda: app.root.current == "id_scan")
            screenshot(OUT / "id-scan-1280x800.png")
            scanner.scan(SAMPLE_CARD)
            pump(lambda: app.root.current == "id_confirm")
            screenshot(OUT / "id-confirm-1280x800.png")
    finally:
        scanner.close()


# A synthetic card (the first case of ../shared/data/cccd_samples.txt): no real person.
SAMPLE_CARD = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường"
    " Trung Văn, Quận Nam Từ Liêm, Hà Nội|20042021"
).encode()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in ((1280, 800), (800, 480)):
            play(Path(tmp), size)
        play_citizen_id(Path(tmp))
    print(f"screenshots in {OUT}")
