"""Sound for the speech tests: WAV clips written in any format, and plain measures of samples."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

from devices.pcm import Pcm


def write_tone(
    path: Path,
    seconds: float,
    *,
    frequency: float = 440.0,
    rate: int = 22050,
    width: int = 2,
    channels: int = 1,
    level: float = 0.5,
) -> Path:
    """A sine tone as a PCM WAV file of the given sample rate, width (1, 2) and channels."""
    frames = bytearray()
    for i in range(round(seconds * rate)):
        value = level * math.sin(2 * math.pi * frequency * i / rate)
        sample = (
            bytes([round(128 + 127 * value)])
            if width == 1
            else round(32767 * value).to_bytes(2, "little", signed=True)
        )
        frames += sample * channels
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def peak(sound: Pcm) -> int:
    return max((abs(s) for s in sound.samples), default=0)


def rms(samples: array) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))
