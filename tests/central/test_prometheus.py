"""The example alert rules (install/central/prometheus-alerts.yml) are valid and fire when they
should: checked and unit-tested with promtool (Debian's `prometheus` package), skipped where it
is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RULES = HERE.parent.parent / "install" / "central" / "prometheus-alerts.yml"
PROMTOOL = shutil.which("promtool")

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)"
)


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args],
        cwd=HERE,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_promtool
def test_the_alert_rules_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_out_of_paper_and_silent_alerts_fire_after_their_delay() -> None:
    tested = promtool("test", "rules", "prometheus-alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
