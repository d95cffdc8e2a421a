"""A SIGTERM that reaches an app while build() is still making its screens stops it cleanly at
its first frame: before, the stop ran at once and the screens' rules found no running app."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import os, signal
    from kivy.app import App
    from kivy.lang import Builder
    from apps.launch import stop_on_sigterm

    RULE = "Label:\\n    text: app.name\\n"

    class Slow(App):
        def build(self):
            first = Builder.load_string(RULE)
            os.kill(os.getpid(), signal.SIGTERM)  # systemctl stop, half-way through build()
            second = Builder.load_string(RULE)  # a rule that reads `app` after the signal
            second.add_widget(first)
            return second

    app = Slow()
    stop_on_sigterm(app)
    app.run()
    print("stopped cleanly")
    """
)


def test_sigterm_during_build_stops_at_the_first_frame(tmp_path: Path) -> None:
    script = tmp_path / "slow_app.py"  # a file: Kivy's App looks for a .kv beside its source
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stopped cleanly" in done.stdout
    assert "Traceback" not in done.stderr
