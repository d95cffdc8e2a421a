"""Sound as samples in one format: 22050 Hz, mono, signed 16-bit (what espeak-ng writes).

Reads WAV files of 8- or 16-bit PCM, mono or stereo, at any rate, and converts them to that
format (stereo mixed down, linear interpolation for the rate); writes WAV; joins, trims,
scales (volume) and makes silence and tones. Pure Python (`array`, `wave`): clips are seconds
long, so no numeric library is needed.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

RATE = 22050
MAX_SAMPLE = 32767
# Samples quieter than this at a clip's ends count as silence (about -54 dBFS).
SILENCE_THRESHOLD = 64


class WavError(ValueError):
    """Bytes that are not a WAV file this module reads (PCM, 8/16-bit, mono/stereo)."""


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit samples at RATE."""

    samples: array

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE

    def to_wav(self) -> bytes:
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(_little_endian(self.samples).tobytes())
        return out.getvalue()


def silence(seconds: float) -> Pcm:
    return Pcm(array("h", bytes(2 * round(seconds * RATE))))


def join(pieces: Iterable[Pcm]) -> Pcm:
    out = array("h")
    for piece in pieces:
        out.extend(piece.samples)
    return Pcm(out)


def scaled(pcm: Pcm, volume: int) -> Pcm:
    """The samples at `volume` percent (0..100) of their level: linear gain."""
    if not 0 <= volume <= 100:
        raise ValueError(f"volume is 0..100, not {volume}")
    if volume == 100:
        return pcm
    return Pcm(array("h", [s * volume // 100 for s in pcm.samples]))


def trimmed(pcm: Pcm, threshold: int = SILENCE_THRESHOLD) -> Pcm:
    """Without the silence at its start and end (an engine's padding), so words join evenly."""
    samples = pcm.samples
    start, end = 0, len(samples)
    while start < end and abs(samples[start]) < threshold:
        start += 1
    while end > start and abs(samples[end - 1]) < threshold:
        end -= 1
    return Pcm(samples[start:end])


def tone(notes: Iterable[tuple[float, float]], level: float = 0.5, decay: float = 4.0) -> Pcm:
    """Struck-bell notes one after the other: (frequency Hz, seconds) each, a soft attack and an
    exponential decay, with a quieter octave above for a bell-like sound."""
    out = array("h")
    attack = round(0.005 * RATE)
    for frequency, seconds in notes:
        count = round(seconds * RATE)
        for i in range(count):
            t = i / RATE
            envelope = math.exp(-decay * t) * min(1.0, i / attack)
            wave_value = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(
                4 * math.pi * frequency * t
            )
            out.append(round(MAX_SAMPLE * level * envelope * wave_value / 1.3))
    return Pcm(out)


def read_wav(data: bytes) -> Pcm:
    """Any 8/16-bit PCM WAV, converted to mono 16-bit at RATE.

    A streamed WAV (espeak-ng --stdout) declares a data size it never wrote: the data runs to
    the end of the bytes, whatever its header says.
    """
    channels, width, rate, frames = _parse(data)
    if width == 1:
        samples = array("h", [(b - 128) << 8 for b in frames])
    else:
        samples = array("h")
        samples.frombytes(frames[: len(frames) // 2 * 2])
        if sys.byteorder == "big":
            samples.byteswap()
    if channels == 2:
        samples = array(
            "h", [(a + b) // 2 for a, b in zip(samples[::2], samples[1::2], strict=True)]
        )
    if rate != RATE:
        samples = _resample(samples, rate)
    return Pcm(samples)


def _parse(data: bytes) -> tuple[int, int, int, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a WAV file (no RIFF/WAVE header)")
    pos = 12
    fmt: tuple[int, int, int] | None = None
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            if size < 16:
                raise WavError("its format chunk is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if tag not in (1, 0xFFFE):
                raise WavError(f"its samples are not PCM (format {tag})")
            if channels not in (1, 2) or bits not in (8, 16):
                raise WavError(f"{channels} channels of {bits} bits: only mono or stereo, 8 or 16")
            if not 4000 <= rate <= 192_000:
                raise WavError(f"a sample rate of {rate} Hz is not sound")
            fmt = (channels, bits // 8, rate)
        elif chunk == b"data":
            if fmt is None:
                raise WavError("its data comes before its format")
            frames = data[body : min(len(data), body + size)]
            frame = fmt[0] * fmt[1]
            return (*fmt, frames[: len(frames) // frame * frame])
        pos = body + size + (size & 1)
    raise WavError("it has no format or no data")


def _resample(samples: array, rate: int) -> array:
    """Linear interpolation from `rate` to RATE (clips are speech: good enough, no library)."""
    if not samples:
        return samples
    count = max(1, round(len(samples) * RATE / rate))
    step = rate / RATE
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        x = i * step
        j = int(x)
        if j >= last:
            out[i] = samples[last]
            continue
        frac = x - j
        out[i] = round(samples[j] + (samples[j + 1] - samples[j]) * frac)
    return out


def _little_endian(samples: array) -> array:
    if sys.byteorder == "little":
        return samples
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped
