"""The installer's release switching (install/release.sh) run for real by bash on real folders
and symlinks: an upgrade that reports ready stays and prunes the older releases; one that does
not is rolled back to the previous release, restarted. Only systemd is replaced: restarting is
recorded, and "ready" is whether the release `current` points at when asked is a good one.
The whole installer runs in a debootstrapped root in install/test-in-chroot.sh (not here: it
takes minutes)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.paths import REPO_ROOT

RELEASE_SH = REPO_ROOT / "install" / "release.sh"
INSTALLER = REPO_ROOT / "install" / "raspberry-pi.sh"

# systemd replaced: a restart is written down; the release in use is ready when it is "good".
FAKE_SYSTEMD = """
restart_service() { echo "restart $(current_release)" >>"$KIOSK_HOME/restarts"; }
service_ready() { [[ -f $KIOSK_HOME/current/good ]]; }
"""


def releases(home: Path, *names: str, good: tuple[str, ...] = ()) -> None:
    """Built releases, oldest first (their .complete marks one minute apart)."""
    for age, name in enumerate(reversed(names)):
        folder = home / "releases" / name
        folder.mkdir(parents=True)
        (folder / ".complete").touch()
        stamp = f"-{age} minutes"
        subprocess.run(["touch", "-d", stamp, str(folder / ".complete")], check=True)
        if name in good:
            (folder / "good").touch()


def activate(home: Path, release: str) -> subprocess.CompletedProcess[str]:
    script = f'source "{RELEASE_SH}"\n{FAKE_SYSTEMD}\nactivate_release "{release}"\n'
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={"KIOSK_HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def current(home: Path) -> str:
    return (home / "current").readlink().name


def restarts(home: Path) -> list[str]:
    return (home / "restarts").read_text().splitlines()


def test_an_upgrade_that_reports_ready_stays_and_keeps_one_release_to_go_back_to(
    tmp_path: Path,
) -> None:
    releases(tmp_path, "0.1.0-aaa", "0.1.0-bbb", "0.2.0-ccc", good=("0.1.0-bbb", "0.2.0-ccc"))
    (tmp_path / "current").symlink_to("releases/0.1.0-bbb")
    result = activate(tmp_path, "0.2.0-ccc")
    assert result.returncode == 0, result.stderr
    assert current(tmp_path) == "0.2.0-ccc"
    assert restarts(tmp_path) == ["restart 0.2.0-ccc"]
    kept = sorted(p.name for p in (tmp_path / "releases").iterdir())
    assert kept == ["0.1.0-bbb", "0.2.0-ccc"]


def test_an_upgrade_that_does_not_report_ready_is_rolled_back(tmp_path: Path) -> None:
    releases(tmp_path, "0.1.0-bbb", "0.2.0-ccc", good=("0.1.0-bbb",))
    (tmp_path / "current").symlink_to("releases/0.1.0-bbb")
    result = activate(tmp_path, "0.2.0-ccc")
    assert result.returncode == 1
    assert current(tmp_path) == "0.1.0-bbb"
    assert restarts(tmp_path) == ["restart 0.2.0-ccc", "restart 0.1.0-bbb"]
    assert "going back to release 0.1.0-bbb" in result.stderr
    kept = sorted(p.name for p in (tmp_path / "releases").iterdir())
    assert kept == ["0.1.0-bbb", "0.2.0-ccc"]  # nothing pruned after a failure


def test_a_first_release_that_does_not_report_ready_has_nothing_to_go_back_to(
    tmp_path: Path,
) -> None:
    releases(tmp_path, "0.1.0-aaa")
    result = activate(tmp_path, "0.1.0-aaa")
    assert result.returncode == 1
    assert current(tmp_path) == "0.1.0-aaa"
    assert restarts(tmp_path) == ["restart 0.1.0-aaa"]
    assert "no previous release to go back to" in result.stderr


def test_the_installer_explains_itself_and_refuses_bad_options() -> None:
    shown = subprocess.run(
        ["bash", str(INSTALLER), "--help"], capture_output=True, text=True, timeout=30
    )
    assert shown.returncode == 0
    assert "--uninstall" in shown.stdout and "cage" in shown.stdout
    wrong = subprocess.run(
        ["bash", str(INSTALLER), "--purge"], capture_output=True, text=True, timeout=30
    )
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == "--purge goes with --uninstall."


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_the_install_scripts_pass_shellcheck() -> None:
    scripts = sorted((REPO_ROOT / "install").glob("*.sh"))
    result = subprocess.run(
        ["shellcheck", "-x", *map(str, scripts)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
