"""Translations with gettext. Source strings (msgids) are English; English shows the msgid.

`config/locale/<lang>/LC_MESSAGES/kiosk.po` is compiled in memory at start-up with Babel, so no
compiled .mo file is ever committed or goes stale.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("vi", "en")


def N_(msgid: str) -> str:
    """Marks a string for translation where it is defined; it is translated where shown."""
    return msgid


def po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


class Translator:
    """Translates msgids into the current language, or into one given per call.

    Read-only after construction apart from `language`, so any thread may call gettext.
    """

    def __init__(self, locale_dir: Path, language: str = "vi") -> None:
        self._catalogs: dict[str, gettext.GNUTranslations] = {}
        self._translated: dict[str, frozenset[str]] = {}
        for lang in LANGUAGES:
            if lang != SOURCE_LANGUAGE:
                self._load(lang, po_path(locale_dir, lang))
        self.language = SOURCE_LANGUAGE
        self.set_language(language)

    def _load(self, language: str, path: Path) -> None:
        with path.open("rb") as f:
            catalog = read_po(f, locale=language, domain=DOMAIN)
        compiled = BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        self._catalogs[language] = gettext.GNUTranslations(compiled)
        self._translated[language] = frozenset(
            message.id for message in catalog if message.id and message.string and not message.fuzzy
        )

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.language = language

    def gettext(self, msgid: str, lang: str | None = None) -> str:
        language = lang or self.language
        if language == SOURCE_LANGUAGE:
            return msgid
        return self._catalogs[language].gettext(msgid)

    def untranslated(self, msgids: Iterable[str], lang: str = "vi") -> list[str]:
        """The msgids that have no translation into `lang` (a check for tests and CI)."""
        if lang == SOURCE_LANGUAGE:
            return []
        return [msgid for msgid in msgids if msgid not in self._translated[lang]]
