"""The shipped systemd units: `systemd-analyze verify` finds nothing to say and
`systemd-analyze security` rates their sandbox below a threshold (skipped without systemd)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.paths import REPO_ROOT

UNITS = REPO_ROOT / "systemd"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed")

KIOSK_EXEC = "/opt/kiosk/current/.venv/bin/kiosk"
# `systemd-analyze security` exposure: 7.2 before issue 12, 1.5 after.
KIOSK_EXPOSURE_LIMIT = 2.0


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False)


@needs_analyze
def test_kiosk_unit_verifies_clean(tmp_path: Path) -> None:
    """Verified as installed, except that its program is this Python (the test machine has no
    /opt/kiosk): verify also checks that ExecStart names an executable."""
    text = (UNITS / "kiosk.service").read_text()
    assert f"ExecStart={KIOSK_EXEC} run\n" in text
    unit = tmp_path / "kiosk.service"
    unit.write_text(text.replace(KIOSK_EXEC, sys.executable))
    result = _analyze("verify", "--man=no", str(unit))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@needs_analyze
def test_kiosk_unit_exposure_is_low() -> None:
    result = _analyze("security", "--offline=yes", str(UNITS / "kiosk.service"))
    match = re.search(r"Overall exposure level for kiosk\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= KIOSK_EXPOSURE_LIMIT


def test_kiosk_unit_does_not_restart_a_configuration_error() -> None:
    """`kiosk run` exits 2 on a configuration error it cannot show (kiosk.cli): no restart."""
    service = (UNITS / "kiosk.service").read_text()
    assert re.search(r"^RestartPreventExitStatus=2$", service, re.MULTILINE)
    assert re.search(r"^Restart=always$", service, re.MULTILINE)
