"""Words to sound: the espeak-ng engine, a site's voice pack of recorded clips, and the
synthesiser that joins them (with a chime first) into one clip in devices.pcm's format.

The synthesiser is given words, already spelled out (never digits), in parts that each name an
espeak-ng voice. For a part that may use the voice pack, each stretch of words is looked up
longest phrase first ("mời công dân có số" may be one recording), and every run of words the
pack lacks goes to espeak-ng in one call, so a site can record a few clips and let the engine
say the rest. A short gap separates the pieces. Nothing here knows what the words mean.

Voice pack: a folder of WAV files (8/16-bit PCM, mono or stereo, any rate) named after the
words they say, in lower case, NFC, words separated by one space ("mời công dân có số.wav",
"mười.wav"), and optionally `chime.wav`. docs/voice-pack.md lists the words.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devices import pcm
from devices.pcm import Pcm, WavError

log = logging.getLogger("devices.speech")

ESPEAK = "espeak-ng"
CHIME_FILE = "chime.wav"
SOURCE_PACK = "voice pack"
SOURCE_ESPEAK = "espeak-ng"
SOURCE_CHIME = "chime"
# Pause after the chime before the words, and between the parts (languages) of a clip.
CHIME_PAUSE = 0.35
PART_PAUSE = 0.6


class SpeechError(Exception):
    """Speech could not be made; the message is one plain sentence for a technician."""


def clip_name(words: Iterable[str]) -> str:
    """The key of a phrase in a voice pack: its words in lower case, NFC, one space apart."""
    return unicodedata.normalize("NFC", " ".join(words)).casefold()


def default_chime() -> Pcm:
    """A two-tone "ding-dong" (E5 then C5), made here so that no file is needed."""
    return pcm.tone([(659.25, 0.55), (523.25, 0.9)], level=0.45, decay=3.5)


class EspeakEngine:
    """espeak-ng in a subprocess: `espeak-ng -v VOICE -s RATE --stdout`, text on stdin."""

    name = ESPEAK

    def __init__(self, rate: int = 140, timeout: float = 10.0, executable: str = ESPEAK) -> None:
        self.rate = rate
        self.timeout = timeout
        self.executable = executable

    def synthesize(self, text: str, voice: str) -> Pcm:
        command = [self.executable, "-v", voice, "-s", str(self.rate), "--stdout"]
        try:
            done = subprocess.run(
                command, input=text.encode(), capture_output=True, timeout=self.timeout
            )
        except FileNotFoundError:
            raise SpeechError(
                f"{self.executable} is not installed: install it with apt install espeak-ng"
            ) from None
        except subprocess.TimeoutExpired:
            raise SpeechError(
                f"{self.executable} did not finish within {self.timeout:g} s"
            ) from None
        problem = done.stderr.decode(errors="replace").strip().splitlines()
        if done.returncode != 0 or not done.stdout:
            reason = problem[0] if problem else f"exit code {done.returncode}"
            raise SpeechError(f"{self.executable} failed with voice {voice!r}: {reason}")
        try:
            return pcm.trimmed(pcm.read_wav(done.stdout))
        except WavError as error:
            raise SpeechError(f"{self.executable} wrote no usable sound: {error}") from None


class VoicePack:
    """The WAV clips of a folder, by phrase; each read (and converted) once, when first used."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if not folder.is_dir():
            raise SpeechError(f"the voice pack folder {folder} does not exist")
        self._paths: dict[str, Path] = {}
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() == ".wav" and path.is_file():
                self._paths[clip_name(path.stem.split())] = path
        self._chime = self._paths.pop(clip_name(["chime"]), None)
        self._clips: dict[str, Pcm] = {}
        self._lock = threading.Lock()
        self.longest = max((len(name.split()) for name in self._paths), default=0)

    @property
    def phrases(self) -> frozenset[str]:
        return frozenset(self._paths)

    def clip(self, phrase: str) -> Pcm:
        with self._lock:
            if phrase not in self._clips:
                self._clips[phrase] = pcm.trimmed(self._read(self._paths[phrase]))
            return self._clips[phrase]

    def chime(self) -> Pcm | None:
        return None if self._chime is None else self._read(self._chime)

    def match(self, words: Sequence[str], start: int) -> int:
        """How many words from `start` the pack's longest matching clip says (0: none)."""
        for length in range(min(self.longest, len(words) - start), 0, -1):
            if clip_name(words[start : start + length]) in self._paths:
                return length
        return 0

    def uncovered(self, phrases: Iterable[Sequence[str]]) -> tuple[str, ...]:
        """The words of these phrases no clip says, looked up as the synthesiser does
        (longest phrase first): what espeak-ng would say. Lower case, each once."""
        missing: list[str] = []
        for words in phrases:
            i = 0
            while i < len(words):
                length = self.match(words, i)
                if not length:
                    missing.append(clip_name([words[i]]))
                i += length or 1
        return tuple(dict.fromkeys(missing))

    def _read(self, path: Path) -> Pcm:
        try:
            return pcm.read_wav(path.read_bytes())
        except (OSError, WavError) as error:
            raise SpeechError(f"the voice pack clip {path} cannot be used: {error}") from None


@dataclass(frozen=True)
class SpeechPart:
    """Words said in one espeak-ng voice; `use_pack`: the voice pack's clips may say them."""

    words: tuple[str, ...]
    voice: str
    use_pack: bool = True


@dataclass(frozen=True)
class Piece:
    """One stretch of a clip: what it says and where its sound came from (SOURCE_*)."""

    text: str
    source: str


@dataclass(frozen=True)
class Rendering:
    sound: Pcm
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.pieces if p.source != SOURCE_CHIME)

    def from_source(self, source: str) -> tuple[str, ...]:
        return tuple(p.text for p in self.pieces if p.source == source)


class Synthesizer:
    """Parts of words to one clip: the chime, then each part, the pack first, espeak-ng for
    the rest. Safe to call from one thread at a time per instance (the announcer's)."""

    def __init__(
        self, engine: EspeakEngine, pack: VoicePack | None = None, word_gap: float = 0.06
    ) -> None:
        self.engine = engine
        self.pack = pack
        self.word_gap = word_gap
        self._chime: Pcm | None = None

    def chime(self) -> Pcm:
        if self._chime is None:
            from_pack = self.pack.chime() if self.pack else None
            self._chime = from_pack if from_pack is not None else default_chime()
        return self._chime

    def render(self, parts: Sequence[SpeechPart], *, chime: bool = True) -> Rendering:
        sounds: list[Pcm] = []
        pieces: list[Piece] = []
        if chime:
            sounds += [self.chime(), pcm.silence(CHIME_PAUSE)]
            pieces.append(Piece("chime", SOURCE_CHIME))
        for index, part in enumerate(parts):
            if index:
                sounds.append(pcm.silence(PART_PAUSE))
            for number, (piece, sound) in enumerate(self._part(part)):
                if number:
                    sounds.append(pcm.silence(self.word_gap))
                sounds.append(sound)
                pieces.append(piece)
        return Rendering(pcm.join(sounds), tuple(pieces))

    def _part(self, part: SpeechPart) -> list[tuple[Piece, Pcm]]:
        out: list[tuple[Piece, Pcm]] = []
        pending: list[str] = []  # words for espeak-ng, said in one call

        def flush() -> None:
            if pending:
                text = " ".join(pending)
                out.append((Piece(text, SOURCE_ESPEAK), self.engine.synthesize(text, part.voice)))
                pending.clear()

        words = part.words
        i = 0
        while i < len(words):
            length = self.pack.match(words, i) if self.pack and part.use_pack else 0
            if not length:
                pending.append(words[i])
                i += 1
                continue
            flush()
            phrase = words[i : i + length]
            out.append((Piece(" ".join(phrase), SOURCE_PACK), self.pack.clip(clip_name(phrase))))
            i += length
        flush()
        return out
