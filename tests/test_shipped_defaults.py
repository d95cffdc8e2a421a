"""The shipped technician PIN and the demo officers are named while they are in place: by
`shipped_secrets_in_use` (the setup screen and `kiosk doctor` use it) and `kiosk check-config`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.config import hash_pin, load_config
from kiosk.config.shipped_defaults import shipped_secrets_in_use
from tests.support.device import write_override

REPO = Path(__file__).resolve().parent.parent
OWN_OFFICER = f"""
[[officers]]
id = "le-hoa"
name = "Lê Thị Hoa"
title = "Công chức tiếp nhận"
pin_hash = "{hash_pin("8531")}"
"""
# The shipped PIN hashed again, with a salt of its own: still the shipped PIN.
REHASHED_SHIPPED_PIN = f'[technician]\npin_hash = "{hash_pin("246810")}"\n'
OWN_PIN = f'[technician]\npin_hash = "{hash_pin("907153")}"\n'


def test_a_shipped_counter_names_the_pin_and_the_demo_officers(tmp_path: Path) -> None:
    config = load_config(write_override(tmp_path / "etc", kiosk='[device]\nrole = "counter"\n'))
    found = shipped_secrets_in_use(config)
    assert len(found) == 2
    assert "technician PIN is still the shipped one" in found[0]
    assert "demo-an, demo-binh" in found[1]


def test_a_rehashed_shipped_pin_is_still_named_and_own_secrets_are_not(tmp_path: Path) -> None:
    counter = '[device]\nrole = "counter"\n'
    rehashed = write_override(tmp_path / "a", kiosk=counter + REHASHED_SHIPPED_PIN)
    assert len(shipped_secrets_in_use(load_config(rehashed))) == 2
    own = write_override(tmp_path / "b", kiosk=counter + OWN_PIN, officers=OWN_OFFICER)
    assert shipped_secrets_in_use(load_config(own)) == []
    # A lobby signs no officer in: only its PIN counts.
    assert shipped_secrets_in_use(load_config(write_override(tmp_path / "c", kiosk=OWN_PIN))) == []


def test_check_config_warns_on_stderr_and_still_succeeds(tmp_path: Path) -> None:
    def check(folder: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "kiosk", "check-config", "--config", str(folder)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)

    shipped = check(write_override(tmp_path / "a"))
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stderr.startswith("WARNING: The technician PIN is still the shipped one")
    own = check(write_override(tmp_path / "b", kiosk=OWN_PIN))
    assert own.returncode == 0 and own.stderr == ""
