"""Where a clip is heard: the system's audio through aplay (HDMI on a Pi), or the virtual
speaker twin that records each clip as a WAV file and a journal line.

A speaker plays one clip at a time and returns when it has been played: the caller (one
worker thread) is what keeps clips from overlapping. `key` and `text` only label a play (the
twin's journal; the words said, never personal data).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from common.office_clock import aware_now
from devices.pcm import Pcm

log = logging.getLogger("devices.speaker")

APLAY = "aplay"
JOURNAL = "journal.jsonl"
# aplay gets this long beyond the clip's own length before it counts as stuck.
PLAY_MARGIN = 10.0
_APLAY_PREFIX = re.compile(r"^aplay: [\w]+:[0-9]+: ")  # "aplay: main:831: "
_CLIP_FILE = re.compile(r"announce-([0-9]{4,})\.wav")


class SpeakerError(Exception):
    """A clip could not be played; the message is one plain sentence for a technician."""


class Speaker(Protocol):
    name: str

    def play(self, sound: Pcm, *, key: str, text: str) -> None:
        """Play `sound`, returning once it has been heard; raises SpeakerError."""


class AlsaSpeaker:
    """`aplay -q -D DEVICE -` fed the WAV on stdin, blocking until it has played."""

    name = "alsa"

    def __init__(self, device: str = "default", executable: str = APLAY) -> None:
        self.device = device
        self.executable = executable

    def play(self, sound: Pcm, *, key: str, text: str) -> None:
        command = [self.executable, "-q", "-D", self.device, "-"]
        try:
            done = subprocess.run(
                command,
                input=sound.to_wav(),
                capture_output=True,
                timeout=sound.seconds + PLAY_MARGIN,
            )
        except FileNotFoundError:
            raise SpeakerError(
                f"{self.executable} is not installed: install it with apt install alsa-utils"
            ) from None
        except subprocess.TimeoutExpired:
            raise SpeakerError(
                f"the sound device {self.device} did not finish playing a {sound.seconds:.1f} s"
                " announcement"
            ) from None
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            reason = _APLAY_PREFIX.sub("", lines[-1]) if lines else f"exit code {done.returncode}"
            raise SpeakerError(
                f"the sound device {self.device!r} cannot play ({reason});"
                " `aplay -L` lists the devices of this machine"
            )


class VirtualSpeaker:
    """The twin: each clip becomes `announce-NNNN.wav` in `folder`, and one JSON line in
    `journal.jsonl` there (file, key, text, started_at, ended_at, seconds). A play takes as
    long as the clip lasts, so overlapping plays would show in the journal's times.

    `unplug()` makes it fail as a speaker with no sound device does, until `plug()`.
    """

    name = "virtual"

    def __init__(
        self,
        folder: Path,
        *,
        now: Callable[[], datetime] = aware_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.folder = folder
        self._now = now  # the wall clock the journal is stamped with
        self._sleep = sleep
        self._lock = threading.Lock()
        self._unplugged = False
        self._next: int | None = None

    @property
    def journal(self) -> Path:
        return self.folder / JOURNAL

    def unplug(self) -> None:
        self._unplugged = True

    def plug(self) -> None:
        self._unplugged = False

    def play(self, sound: Pcm, *, key: str, text: str) -> None:
        if self._unplugged:
            raise SpeakerError("the virtual speaker is unplugged")
        with self._lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                path = self.folder / f"announce-{self._take_number():04d}.wav"
                path.write_bytes(sound.to_wav())
            except OSError as error:
                raise SpeakerError(
                    f"the virtual speaker cannot write to {self.folder}: {error.strerror}"
                ) from None
            started = self._now()
            self._sleep(sound.seconds)
            ended = self._now()
            line = {
                "file": path.name,
                "key": key,
                "text": text,
                "started_at": started.isoformat(),
                "ended_at": ended.isoformat(),
                "seconds": round(sound.seconds, 3),
            }
            try:
                with self.journal.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(line, ensure_ascii=False) + "\n")
            except OSError as error:
                raise SpeakerError(
                    f"the virtual speaker cannot write its journal: {error.strerror}"
                ) from None

    def _take_number(self) -> int:
        """The next clip number: after the highest already in the folder (numbers carry on
        across restarts, so no earlier clip is overwritten)."""
        if self._next is None:
            numbers = [
                int(m[1]) for p in self.folder.iterdir() if (m := _CLIP_FILE.fullmatch(p.name))
            ]
            self._next = max(numbers, default=0) + 1
        number, self._next = self._next, self._next + 1
        return number


def read_journal(folder: Path) -> list[dict[str, object]]:
    """The virtual speaker's journal in `folder`, one dict per play (for tests and the bench)."""
    path = folder / JOURNAL
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
