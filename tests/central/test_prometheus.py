"""The example Prometheus files (install/central/): the alert rules are valid and fire when they
should, the scrape configuration is valid; checked and unit-tested with promtool (Debian's
`prometheus` package), skipped where it is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
INSTALL = HERE.parent.parent / "install" / "central"
RULES = INSTALL / "prometheus-alerts.yml"
SCRAPE = INSTALL / "prometheus.yml"
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


@needs_promtool
def test_the_example_scrape_configuration_is_valid(tmp_path: Path) -> None:
    token = tmp_path / "kiosk-central.token"
    token.write_text("a-monitor-token\n", encoding="utf-8")
    config = SCRAPE.read_text(encoding="utf-8")
    assert "credentials_file: /etc/prometheus/kiosk-central.token" in config
    config = config.replace("/etc/prometheus/kiosk-central.token", str(token))
    config = config.replace("- prometheus-alerts.yml", f"- {RULES}")
    copy = tmp_path / "prometheus.yml"
    copy.write_text(config, encoding="utf-8")
    checked = promtool("check", "config", str(copy))
    assert checked.returncode == 0, checked.stdout + checked.stderr
