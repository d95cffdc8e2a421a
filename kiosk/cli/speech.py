"""`kiosk speech-test`: say (or write) one call announcement as the hall display would, and tell
the technician which words came from the voice pack and which from espeak-ng."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.registry import CommandError, command

if TYPE_CHECKING:
    from kiosk.config import Config


def _speech_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--label", default="1023", help="the ticket number (default 1023)")
    parser.add_argument("--counter", type=int, default=2, help="the counter number (default 2)")
    parser.add_argument("--recall", action="store_true", help="announce it as a recall")
    parser.add_argument(
        "--test", action="store_true", help="the speaker test phrase (test_text) instead"
    )
    parser.add_argument(
        "--out", type=Path, help="write the announcement to this WAV file instead of playing it"
    )
    parser.add_argument(
        "--words",
        action="store_true",
        help="only list the clips a complete voice pack has (file names), one per line",
    )


@command(
    "speech-test",
    "say a call announcement (or write it to a WAV file) and show which words the voice pack said",
    _speech_test_arguments,
)
def cmd_speech_test(args: argparse.Namespace, config: Config) -> int:
    from devices import pcm
    from devices.speaker import SpeakerError, VirtualSpeaker
    from devices.speech import SOURCE_ESPEAK, SOURCE_PACK, SpeechError, clip_name
    from kiosk.announcer import pack_coverage, speaker_from_config, synthesizer_from_config

    speech = config.speech
    wording = speech.wording
    if args.words:
        for phrase in wording.phrases(speech.test_text):
            print(f"{clip_name(phrase)}.wav")
        return 0
    if not 1 <= args.counter <= 999:
        raise CommandError("--counter must be a counter number from 1 to 999.")
    synthesizer, problem = synthesizer_from_config(speech)
    if problem:
        print(f"Voice pack not used: {problem}")
    elif synthesizer.pack is None:
        print('No voice pack (voice_pack = ""): espeak-ng says every word.')
    else:
        found, missing = pack_coverage(synthesizer, speech)
        print(
            f"Voice pack {speech.voice_pack}: {len(found)} of {len(found) + len(missing)} words"
            " a call may say have a clip."
        )
        if missing:
            print(f"  Missing (espeak-ng says them): {', '.join(missing)}")
    try:
        parts = (
            wording.phrase(speech.test_text)
            if args.test
            else wording.parts(args.label, args.counter, recall=args.recall)
        )
    except ValueError as error:
        raise CommandError(f"--label: {error}.") from None
    started = time.perf_counter()
    try:
        rendering = synthesizer.render(parts, chime=speech.chime)
    except SpeechError as error:
        raise CommandError(f"The announcement could not be made: {error}.") from None
    made_in = time.perf_counter() - started
    sound = pcm.scaled(rendering.sound, speech.volume)
    print(f"Says: {rendering.text}")
    print(f"  From the voice pack: {' | '.join(rendering.from_source(SOURCE_PACK)) or '(none)'}")
    print(f"  From espeak-ng: {' | '.join(rendering.from_source(SOURCE_ESPEAK)) or '(none)'}")
    print(f"  {sound.seconds:.1f} s of sound, made in {made_in * 1000:.0f} ms")
    if args.out:
        try:
            args.out.write_bytes(sound.to_wav())
        except OSError as error:
            raise CommandError(f"Cannot write {args.out}: {error.strerror}.") from None
        print(f"Written to {args.out} (22050 Hz, mono, 16-bit, volume {speech.volume}).")
        return 0
    speaker = speaker_from_config(speech)
    try:
        speaker.play(sound, key="speech-test", text=rendering.text)
    except SpeakerError as error:
        raise CommandError(f"Playing failed: {error}.") from None
    if isinstance(speaker, VirtualSpeaker):
        print(f"Played on the virtual speaker: written to {speaker.folder} (journal.jsonl).")
    else:
        print(f"Played on {speech.alsa_device} at volume {speech.volume} (quiet hours ignored).")
    return 0
