"""The test's side of tests/support/device_process.py: a lobby or counter process it drives."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.paths import REPO_ROOT


class DeviceProcess:
    """A lobby or counter driven through tests/support/device_process.py; `options` are its
    command-line options (e.g. "--print"); `wrapper` runs before the interpreter (e.g. faketime)."""

    def __init__(
        self, config: Config, log: Path, *options: str, wrapper: tuple[str, ...] = ()
    ) -> None:
        self.config = config
        etc = config.sources[1].parent  # the override folder of the device
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "tests.support.device_process", str(etc), *options],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self._answer().get("ready") == config.device.id

    def do(self, action: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": action, **arguments}) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        assert "error" not in answer, answer["error"]
        return answer

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"{self.config.device.id} stopped"
        return json.loads(line)

    def kill(self) -> None:
        """SIGKILL: the process ends at whatever it was doing."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._close()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(AssertionError, BrokenPipeError):
                self.do("quit")
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._close()

    def _close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        self._log.close()
