"""Asking a system tool (timedatectl, chronyc, systemctl) with a time limit."""

from __future__ import annotations

import subprocess


def output(argv: list[str], timeout: float) -> str | None:
    """What `argv` printed, or None when it is not installed, failed or took too long (e.g.
    systemctl without systemd as init)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
