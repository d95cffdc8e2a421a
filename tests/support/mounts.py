"""Small file systems mounted for real (tests run as root here and in CI): a tmpfs of a few
hundred kilobytes fills up at once, and one remounted read-only stands for an SD card the kernel
turned read-only. Where mounting is not allowed (no CAP_SYS_ADMIN), the test is skipped."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (made if needed) while the block runs."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def remount_read_only(folder: Path) -> None:
    """What the kernel does to a failing SD card; nothing may have a file open for writing."""
    done = _mount("-o", "remount,ro", str(folder))
    assert done.returncode == 0, done.stderr


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its file system has no block left."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
    return filler
