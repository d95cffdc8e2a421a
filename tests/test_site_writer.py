"""The site's kiosk.toml as provisioning writes it: comments and other keys kept, validated
before anything is written, and a process killed between the write and the rename leaves the
old file whole."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.config.site_writer import is_provisioned, site_file, write_site_config

REPO = Path(__file__).resolve().parent.parent
PROVISIONED = {"device": {"id": "counter-03", "role": "counter"}, "counter": {"number": 3}}


def site(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "etc"
    folder.mkdir()
    body = f'# Phường Đại Mỗ, tầng 1\n[device]\ndata_dir = "{tmp_path / "data"}"  # the SD card\n'
    (folder / "kiosk.toml").write_text(body + text, encoding="utf-8")
    return folder


def test_a_save_sets_its_keys_and_keeps_the_sites_comments_and_keys(tmp_path: Path) -> None:
    folder = site(tmp_path, '\n[printer]\nurl = "/dev/kiosk-printer"  # udev name\n')
    assert not is_provisioned(folder)
    owner = pwd.getpwnam("nobody")
    if os.geteuid() == 0:  # the file keeps the owner it had (root under sudo, as a rule)
        os.chown(folder / "kiosk.toml", owner.pw_uid, owner.pw_gid)
    config = write_site_config(folder, PROVISIONED)
    assert (config.device.id, config.device.role, config.counter.number) == (
        "counter-03",
        "counter",
        3,
    )
    assert config.printer.url == "/dev/kiosk-printer"
    text = (folder / "kiosk.toml").read_text(encoding="utf-8")
    assert "# Phường Đại Mỗ, tầng 1" in text and "# the SD card" in text and "# udev name" in text
    assert is_provisioned(folder)
    saved = (folder / "kiosk.toml").stat()
    assert oct(saved.st_mode & 0o777) == "0o644"
    if os.geteuid() == 0:
        assert (saved.st_uid, saved.st_gid) == (owner.pw_uid, owner.pw_gid)
    assert [p.name for p in folder.iterdir()] == ["kiosk.toml"]


def test_a_value_that_would_not_load_is_refused_with_nothing_written(tmp_path: Path) -> None:
    folder = site(tmp_path, "")
    before = (folder / "kiosk.toml").read_bytes()
    with pytest.raises(ConfigError, match=rf"{folder / 'kiosk.toml'}: \[printer\] profile"):
        write_site_config(folder, {"printer": {"profile": "no-such-model"}})
    assert (folder / "kiosk.toml").read_bytes() == before
    assert [p.name for p in folder.iterdir()] == ["kiosk.toml"]


def test_a_new_site_file_is_created_in_a_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "kiosk"
    assert site_file(target) == target / "kiosk.toml" and not is_provisioned(target)
    data = {"device": {**PROVISIONED["device"], "data_dir": str(tmp_path / "data")}}
    config = write_site_config(target, {**PROVISIONED, **data})
    assert config.device.data_dir == tmp_path / "data" and is_provisioned(target)


CRASHING_SAVE = """
import sys
from pathlib import Path
from kiosk.config.site_writer import write_site_config

def stop_here(tmp: Path) -> None:
    print(tmp, flush=True)
    sys.stdin.read()  # killed while waiting here

write_site_config(Path(sys.argv[1]), {"device": {"role": "display"}}, before_rename=stop_here)
"""


def test_a_process_killed_between_the_write_and_the_rename_leaves_the_old_file(
    tmp_path: Path,
) -> None:
    folder = site(tmp_path, "\n[lobby]\nidle_timeout = 45\n")
    (folder / "kiosk.toml").chmod(0o640)
    before = (folder / "kiosk.toml").read_bytes()
    saver = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CRASHING_SAVE), str(folder)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    written = Path(saver.stdout.readline().strip())  # the new text is on disk, not yet renamed
    assert 'role = "display"' in written.read_text(encoding="utf-8")
    assert oct(written.stat().st_mode & 0o777) == "0o640"
    os.kill(saver.pid, signal.SIGKILL)
    saver.wait()
    saver.stdin.close()
    saver.stdout.close()
    assert (folder / "kiosk.toml").read_bytes() == before
    config = load_config(folder)
    assert (config.device.role, config.lobby.idle_timeout) == ("lobby", 45)
    write_site_config(folder, {"device": {"role": "display"}})  # the next save tidies up
    assert [p.name for p in folder.iterdir()] == ["kiosk.toml"]
    assert load_config(folder).device.role == "display"
