"""Hall display figures, each beside its baseline from the same run. One JSON object per line.

    .venv/bin/python bench/hall_bench.py [--calls 10] [--postgres URL]

- call → on screen and call → first audio sample (median and p95), from the moment a counter
  asks the server for the next ticket to the first frame that shows it large on the hall
  display (the real app, headless, in this process) and to the moment its announcement goes
  to the (virtual) speaker, against the server's call-next time itself. The calls are spaced so
  that each is announced at once (a queue of announcements is the speech's length, not latency).
  With --postgres the central server runs as two processes on one PostgreSQL database: the
  counter calls through one, the display follows the other (the wake-up goes through LISTEN/
  NOTIFY); without, one process on SQLite.
- the display's peak RSS and idle CPU (a real `kiosk run` process showing its board), against a
  bare Kivy app with one label.

The synthesis time per announcement is bench/speech_bench.py's.
"""

from __future__ import annotations

import argparse
import json
import os
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
os.environ.update(HEADLESS)
IDLE_SETTLE_S = 8.0
IDLE_SAMPLE_S = 10.0


def emit(metric: str, value: float, unit: str, baseline: float, target: float) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "baseline": baseline, "target": target}
        ),
        flush=True,
    )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- latency


def latency(work: Path, calls: int, postgres: str | None) -> None:
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", "1920")
    KivyConfig.set("graphics", "height", "1080")
    from kivy.base import EventLoop

    from common.office_clock import aware_now
    from tests.support.central import CentralProcess
    from tests.support.counter import PINS, Counter, Lobby
    from tests.support.device import enrol
    from tests.support.ui import display_config, running_display

    work.mkdir(parents=True, exist_ok=True)
    urls = [postgres, postgres] if postgres else [f"sqlite:///{work / 'central.db'}"]
    servers = [CentralProcess(url, log=work / f"central-{i}.log") for i, url in enumerate(urls)]
    for server in servers:
        server.start()
    calling, following = servers[0], servers[-1]
    try:
        clock = aware_now
        lobby = Lobby(work / "lobby", clock)
        lobby.enrol(calling)
        for _ in range(calls):
            lobby.issue()
        lobby.sync()
        counter = Counter(work / "counter", clock, number=2)
        counter.enrol(calling, counter=2)
        counter.officers.sign_in("officer-an", PINS["officer-an"])
        config = display_config(work / "display", "[hall]\nhero_seconds = 1\n")
        enrol(config, following)
        started: dict[str, float] = {}
        finished = threading.Event()

        with running_display(config, size=(1920, 1080)) as app:
            announcer = app.announcer
            shown_on = announcer._on_event

            def on_event(kind: str, key: str, when) -> None:
                if kind == "started":
                    started[key] = time.perf_counter()
                if kind in ("finished", "failed", "skipped"):
                    finished.set()
                if shown_on is not None:
                    shown_on(kind, key, when)

            announcer._on_event = on_event
            board = app.board_screen
            pump_until(EventLoop, lambda: app.feed_status.state == "online", 20)
            call_next, to_screen, to_audio = [], [], []
            for _ in range(calls):
                finished.clear()
                result: dict = {}

                def call(result: dict = result) -> None:
                    t0 = time.perf_counter()
                    session = counter.service.call_next()
                    result.update(t0=t0, t1=time.perf_counter(), session=session)

                worker = threading.Thread(target=call)
                worker.start()
                pump_until(EventLoop, lambda r=result: "session" in r, 10)
                session = result["session"]
                pump_until(EventLoop, lambda s=session: board.hero_label == s.label, 10)
                shown_at = time.perf_counter()
                key = f"call:{session.id}"
                pump_until(EventLoop, lambda k=key: k in started, 15)
                call_next.append(result["t1"] - result["t0"])
                to_screen.append(shown_at - result["t0"])
                to_audio.append(started[key] - result["t0"])
                pump_until(EventLoop, finished.is_set, 30)
                counter.service.skip()
                worker.join()
        counter.close()
        lobby.close()
    finally:
        for server in servers:
            server.stop()
    where = "2 processes, PostgreSQL" if postgres else "1 process, SQLite"
    base = round(statistics.median(call_next), 3)
    base95 = round(p95(call_next), 3)
    emit(f"call_to_screen_median ({where})", round(statistics.median(to_screen), 3), "s", base, 1.0)
    emit(f"call_to_screen_p95 ({where})", round(p95(to_screen), 3), "s", base95, 1.0)
    emit(f"call_to_audio_median ({where})", round(statistics.median(to_audio), 3), "s", base, 2.0)
    emit(f"call_to_audio_p95 ({where})", round(p95(to_audio), 3), "s", base95, 2.0)


def pump_until(loop, condition, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the hall display did not get there in time")
        loop.idle()


# --------------------------------------------------------------------------- memory and CPU


def idle_figures(work: Path, command: list[str]) -> tuple[float, float]:
    """Peak RSS (MB) and CPU (% of one core) of a process left idle after it started."""
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, **HEADLESS},
        stdout=(work / "idle.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(IDLE_SETTLE_S)
        if process.poll() is not None:
            raise SystemExit(f"{command} stopped; see {work / 'idle.log'}")
        ticks = os.sysconf("SC_CLK_TCK")
        before = cpu_ticks(process.pid)
        time.sleep(IDLE_SAMPLE_S)
        cpu = (cpu_ticks(process.pid) - before) / ticks / IDLE_SAMPLE_S * 100
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak_kb = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
        )
        return peak_kb / 1024, cpu
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def bare_app() -> None:
    """The baseline: a bare Kivy app showing one label in a window of the display's size, until
    it is stopped."""
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", "1920")
    KivyConfig.set("graphics", "height", "1080")
    from kivy.app import App
    from kivy.uix.label import Label

    class Bare(App):
        def build(self):
            return Label(text="Mời công dân có số 1023", font_size=60)

    Bare().run()


def memory_and_cpu(work: Path) -> None:
    from tests.support.ui import display_config

    config = display_config(work / "idle-display")
    etc = config.sources[1].parent
    display = idle_figures(work, [sys.executable, "-m", "kiosk", "run", "--config", str(etc)])
    bare = idle_figures(work, [sys.executable, __file__, "--bare"])
    # The target: a bare Kivy app in a window of the same size (offscreen, Mesa llvmpipe) is
    # near 200 MB already; the display may add 50 MB to it.
    emit("display_peak_rss", round(display[0], 1), "MB", round(bare[0], 1), 250)
    emit("display_idle_cpu", round(display[1], 1), "% of a core", round(bare[1], 1), 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL: the server as two processes on it")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return bare_app()
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as folder:
        work = Path(folder)
        latency(work / "latency", args.calls, args.postgres)
        memory_and_cpu(work)
    return None


if __name__ == "__main__":
    main()
