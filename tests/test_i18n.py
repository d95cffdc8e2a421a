"""Translations: every ticket string has Vietnamese, in NFC, and English shows the msgid."""

from __future__ import annotations

import re
import unicodedata

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from kiosk import paths
from kiosk.i18n import LANGUAGES, Translator, po_path

# The names ticket_layout.py calls to translate (tr is its local shorthand for gettext).
KEYWORDS = {"gettext": None, "tr": None}


def ticket_msgids() -> list[str]:
    source = paths.REPO_ROOT / "kiosk" / "ticket_layout.py"
    return [message for _, message, _, _ in extract_from_file("python", source, KEYWORDS)]


def test_every_ticket_string_has_a_vietnamese_translation() -> None:
    msgids = ticket_msgids()
    assert "QUEUE NUMBER" in msgids and len(msgids) >= 7
    translator = Translator(paths.LOCALE_DIR)
    assert translator.untranslated(msgids) == []
    assert translator.untranslated(["A string nobody translated"]) == ["A string nobody translated"]


def test_ticket_wording_is_the_agreed_vietnamese() -> None:
    translator = Translator(paths.LOCALE_DIR, "vi")
    assert translator.gettext("QUEUE NUMBER") == "SỐ THỨ TỰ"
    assert translator.gettext("Valid today only") == "Phiếu chỉ có giá trị trong ngày"
    assert (
        translator.gettext("Please watch the screen and listen for your number")
        == "Vui lòng theo dõi màn hình và loa gọi số"
    )
    waiting = translator.gettext("People waiting ahead of you: {count}")
    assert waiting.format(count=3) == "Số người chờ trước Ông/Bà: 3"


def test_english_and_missing_strings_fall_back_to_the_msgid() -> None:
    translator = Translator(paths.LOCALE_DIR, "vi")
    assert translator.gettext("QUEUE NUMBER", "en") == "QUEUE NUMBER"
    assert translator.gettext("Not in the catalogue") == "Not in the catalogue"
    translator.set_language("en")
    assert translator.language == "en"
    assert translator.gettext("PRIORITY") == "PRIORITY"
    assert translator.gettext("PRIORITY", "vi") == "ƯU TIÊN"
    assert LANGUAGES == ("vi", "en")
    with pytest.raises(ValueError):
        translator.set_language("fr")


def test_the_po_file_is_nfc_utf8_sorted_and_keeps_placeholders() -> None:
    path = po_path(paths.LOCALE_DIR, "vi")
    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    with path.open("rb") as f:
        catalog = read_po(f, locale="vi")
    assert catalog.charset.upper() == "UTF-8"
    msgids = [message.id for message in catalog if message.id]
    assert msgids == sorted(msgids), "keep kiosk.po sorted by msgid"
    entries = re.findall(r'^msgid "', text, flags=re.MULTILINE)
    assert len(entries) == len(msgids) + 1, "one entry per msgid (plus the header)"
    for message in catalog:
        if message.id:
            placeholders = set(re.findall(r"\{\w*\}", message.id))
            assert set(re.findall(r"\{\w*\}", message.string)) == placeholders, message.id
