"""Lobby kiosk figures, each beside its baseline from the same run. One JSON object per line.

    .venv/bin/python bench/lobby_bench.py [--tickets 5]

- ticket bytes in hybrid mode (native number and QR, rasterised Vietnamese lines) against the
  same ticket fully rasterised, and with a text-mode (cp1258) printer profile;
- tap to the printer's last byte, through the real app and a virtual printer in another process
  paced at 115200 baud, against the physical floor (bytes × 10 / baud);
- process start to first frame, and peak RSS, against a bare Kivy app with one label;
- the longest UI frame interval while a print is in flight, against the same app idle.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HEADLESS = {
    "SDL_VIDEODRIVER": "offscreen",
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_CONFIG": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
    "KIVY_DPI": "150",
}
BAUD = 115200


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def override(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kiosk.toml").write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- ticket bytes


def ticket_bytes(work: Path) -> None:
    """A real ticket (the longest field name, priority, two-digit queue), issued in a temporary
    store and laid out as the kiosk prints it, under each printer profile."""
    from devices.escpos_encoder import encode
    from kiosk.config import load_config
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR
    from kiosk.store import Store
    from kiosk.ticket_layout import build_ticket_job
    from kiosk.ticket_signing import load_or_create_device_key
    from kiosk.tickets import TicketService

    sizes = {}
    for profile in ("generic-80", "epson-80-cp1258"):
        data = work / profile / "data"
        config = load_config(
            override(
                work / profile, f'[device]\ndata_dir = "{data}"\n[printer]\nprofile = "{profile}"\n'
            )
        )
        data.mkdir(parents=True)
        with Store(data / "kiosk.db") as store:
            service = TicketService(store, config, load_or_create_device_key(data / "key"))
            for number in range(12):
                ticket = service.issue("dat-dai-xay-dung", priority=True, request_id=str(number))
        field = config.catalogue.get("dat-dai-xay-dung")
        job = build_ticket_job(ticket, field, config.office, Translator(LOCALE_DIR), "vi")
        sizes[profile] = (
            len(encode(job, config.printer_profile)),
            len(encode(job, config.printer_profile, full_raster=True)),
        )
    hybrid, full = sizes["generic-80"]
    emit("ticket_bytes_hybrid_80mm", hybrid, "bytes", full, 8192)
    emit("ticket_size_reduction_vs_full_raster", round(full / hybrid, 2), "x", 1.0, 5.0)
    emit("ticket_bytes_text_mode_cp1258", sizes["epson-80-cp1258"][0], "bytes", hybrid, 600)


# --------------------------------------------------------------------------- child processes


def run_child(kind: str, work: Path, tickets: int) -> dict:
    """Starts this script as a child (`--child KIND`) and returns the JSON it writes."""
    result = work / f"{kind}.json"
    env = {**os.environ, **HEADLESS}
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--started",
            repr(started),
            "--work",
            str(work),
            "--result",
            str(result),
            "--tickets",
            str(tickets),
        ],
        env=env,
        check=True,
        timeout=300,
    )
    return json.loads(result.read_text())


def child_bare(args: argparse.Namespace) -> None:
    """Baseline: a bare Kivy app showing one label."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.label import Label

    out: dict = {}

    class Bare(App):
        def build(self):
            return Label(text="Xin kính chào Ông/Bà!", font_size=60)

    def first_flip(*_):
        out.setdefault("first_frame", time.monotonic() - args.started)
        Clock.schedule_once(lambda _dt: Bare.get_running_app().stop(), 1.0)

    Window.bind(on_flip=first_flip)
    Bare().run()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.result.write_text(json.dumps(out))


def child_lobby(args: argparse.Namespace) -> None:
    """The real lobby app on a paced virtual printer in another process, driven by taps."""
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.tests import UnitTestTouch

    from apps.lobby import LobbyApp
    from kiosk.config import load_config
    from kiosk.services import open_device_data

    printer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devices.virtual_printer",
            "--out",
            str(args.work / "printed"),
            "--baud",
            str(BAUD),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    device = printer.stdout.readline().strip()
    pages: queue.Queue[tuple[int, float]] = queue.Queue()

    def read_pages() -> None:
        for line in printer.stdout:
            if line.startswith("printed "):
                fields = dict(part.split("=") for part in line.split()[2:])
                pages.put((int(fields["received"]), float(fields["last_byte_at"])))

    threading.Thread(target=read_pages, daemon=True).start()
    config = load_config(
        override(
            args.work / "etc",
            f'[device]\ndata_dir = "{args.work / "data"}"\n\n[printer]\nurl = "{device}"\n'
            f"baudrate = {BAUD}\nstatus_interval = 3.0\n",
        )
    )
    app = LobbyApp(config, open_device_data(config))
    out: dict = {"taps": [], "idle_frames": [], "printing_frames": []}
    frame_times: list[float] = []

    def first_flip(*_):
        if "first_frame" not in out:
            out["first_frame"] = time.monotonic() - args.started

    Window.bind(on_flip=first_flip)
    Clock.schedule_interval(lambda _dt: frame_times.append(time.monotonic()), 0)

    def intervals(since: float, until: float) -> list[float]:
        stamps = [t for t in frame_times if since <= t <= until]
        return [b - a for a, b in itertools.pairwise(stamps)]

    def script():
        yield 2.0  # settle: printer status known, first frames drawn
        idle_from = time.monotonic()
        yield 1.0
        out["idle_frames"] = intervals(idle_from, time.monotonic())
        received_before = 0
        for number in range(args.tickets):
            app.start_visit()
            yield 0.5
            button = app.root.get_screen("fields").ids.grid.children[-1 - number % 3]
            x, y = button.to_window(*button.center)
            touch = UnitTestTouch(x, y)
            tapped = time.monotonic()
            touch.touch_down()
            touch.touch_up()
            while pages.empty():
                yield 0.02
            received, last_byte_at = pages.get()
            out["taps"].append(
                {"bytes": received - received_before, "seconds": last_byte_at - tapped}
            )
            out["printing_frames"] += intervals(tapped, last_byte_at)
            received_before = received
            yield 0.5
            app.go_home()
            yield 0.3
        app.stop()

    steps = script()

    def step(_dt: float) -> None:
        with contextlib.suppress(StopIteration):
            Clock.schedule_once(step, next(steps))

    Clock.schedule_once(step, 0)
    app.run()
    printer.terminate()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.result.write_text(json.dumps(out))


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5)
    parser.add_argument("--child", choices=["bare", "lobby"])
    parser.add_argument("--started", type=float)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args()
    if args.child == "bare":
        return child_bare(args)
    if args.child == "lobby":
        return child_lobby(args)

    os.environ.update(HEADLESS)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        work = Path(tmp)
        ticket_bytes(work)
        for kind in ("bare", "lobby"):
            (work / kind).mkdir()
        bare = run_child("bare", work / "bare", args.tickets)
        lobby = run_child("lobby", work / "lobby", args.tickets)

    taps = lobby["taps"]
    seconds = statistics.median(t["seconds"] for t in taps)
    floor = statistics.median(t["bytes"] * 10 / BAUD for t in taps)
    worst_ratio = max(t["seconds"] / (t["bytes"] * 10 / BAUD) for t in taps)
    emit("tap_to_last_byte_median", round(seconds, 3), "s", round(floor, 3), round(1.3 * floor, 3))
    emit("tap_to_last_byte_worst_ratio_to_floor", round(worst_ratio, 3), "x", 1.0, 1.3)
    emit("first_frame", round(lobby["first_frame"], 3), "s", round(bare["first_frame"], 3), 2.0)
    emit("peak_rss", round(lobby["peak_rss_mb"], 1), "MB", round(bare["peak_rss_mb"], 1), 200)
    emit(
        "max_frame_interval_while_printing",
        round(1000 * max(lobby["printing_frames"]), 1),
        "ms",
        round(1000 * max(lobby["idle_frames"]), 1),
        100,
    )


if __name__ == "__main__":
    main()
