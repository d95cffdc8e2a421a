"""Every string a person sees on a screen has a Vietnamese translation, in NFC."""

from __future__ import annotations

import re
import unicodedata

from babel.messages.extract import extract_from_file

from kiosk import citizen_id, paths
from kiosk.i18n import Translator

# app.t("...") and self.t("...") in Python, N_("...") where a string is defined for later.
KEYWORDS = {"t": None, "N_": None}
KV_CALL = re.compile(r"""\bapp\.t\((['"])(.+?)\1""")
# t('...') inside f-strings, which Babel's extractor does not look into.
FSTRING_CALL = re.compile(r"""\{self\.t\((['"])([^'"]+?)\1\)""")


def screen_msgids() -> set[str]:
    root = paths.REPO_ROOT
    msgids = set()
    # Every kiosk module: texts for a person are also defined (N_) where a refusal is raised.
    for source in [
        *sorted((root / "apps").glob("*.py")),
        *sorted((root / "kiosk").rglob("*.py")),
        *sorted((root / "screens").glob("*.py")),
    ]:
        msgids.update(message for _, message, _, _ in extract_from_file("python", source, KEYWORDS))
        msgids.update(m.group(2) for m in FSTRING_CALL.finditer(source.read_text("utf-8")))
    for kv in sorted((root / "screens").glob("*.kv")):
        msgids.update(match.group(2) for match in KV_CALL.finditer(kv.read_text("utf-8")))
    return msgids


def test_every_screen_string_has_a_vietnamese_translation() -> None:
    msgids = screen_msgids()
    assert {"Take a queue number", "Printer ready", "Your number is still valid."} <= msgids
    assert {citizen_id.UNREADABLE, "ticket signature does not match"} <= msgids
    assert Translator(paths.LOCALE_DIR).untranslated(sorted(msgids)) == []


def test_screen_wording_is_the_agreed_vietnamese_in_nfc() -> None:
    tr = Translator(paths.LOCALE_DIR, "vi").gettext
    assert tr("Welcome!") == "Xin kính chào Ông/Bà!"
    assert tr("Please choose the field of your request") == "Vui lòng chọn lĩnh vực cần giải quyết"
    assert tr("Please take your ticket below.") == "Mời Ông/Bà nhận phiếu bên dưới."
    assert (
        tr("The printer is out of paper, please contact the staff.")
        == "Máy in hết giấy, vui lòng liên hệ cán bộ hướng dẫn."
    )
    for msgid in screen_msgids():
        assert unicodedata.is_normalized("NFC", tr(msgid)), msgid
