"""`kiosk consent-text`: the consent text the lobby shows, exactly as it is hashed, and its
version (the `text_version` of every consent event), for the ward to file with the hash."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kiosk.cli.registry import command
from kiosk.i18n import LANGUAGES

if TYPE_CHECKING:
    from kiosk.config import Config


def _consent_text_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language shown (default: the device's language)",
    )


@command(
    "consent-text",
    "print the ID card consent text and its version (SHA-256), to file it",
    _consent_text_arguments,
)
def cmd_consent_text(args: argparse.Namespace, config: Config) -> int:
    from kiosk.consent import consent_text, text_version
    from kiosk.i18n import Translator
    from kiosk.paths import LOCALE_DIR

    language = args.lang or config.device.language
    text = consent_text(Translator(LOCALE_DIR, language), language)
    print(
        f"The consent text in {language}, one line each: question, notice, yes button, no button."
        " Its version is the SHA-256 of these lines joined by line feeds (UTF-8, no final line"
        " feed)."
    )
    print()
    print(text)
    print()
    print(f"text_version: {text_version(text)}")
    return 0
