"""Consent that can be shown to an inspector: each answer at the lobby, and each withdrawal,
goes into the outbox with the version of the text shown, never with card data."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from devices.virtual_scanner import VirtualScanner
from tests.support.ui import pump, tap
from tests.test_cli import kiosk
from tests.test_lobby_citizen_id import CARD, ID_NUMBER, NAME, lobby_with_scanner, to_consent

ROOT = Path(__file__).resolve().parents[1]
CONSENT_KV = ROOT / "screens" / "id_consent.kv"
VI_PO = ROOT / "config" / "locale" / "vi" / "LC_MESSAGES" / "kiosk.po"


def shown_msgids() -> list[str]:
    """The msgids of the consent screen's question, notice and two answers, read from its kv."""
    kv = CONSENT_KV.read_text(encoding="utf-8")
    return [
        re.search(rf"id: {name}\n\s+text: app\.t\('([^']+)'", kv).group(1)
        for name in ("question", "notice", "agree", "decline")
    ]


def recomputed_version(language: str) -> str:
    """As docs/central-api.md tells an inspector: the texts in the language shown, one per
    line, UTF-8, SHA-256."""
    msgids = shown_msgids()
    if language == "vi":
        with VI_PO.open("rb") as f:
            catalog = read_po(f)
        texts = [catalog.get(msgid).string for msgid in msgids]
    else:
        texts = msgids
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


@pytest.fixture
def scanner():
    twin = VirtualScanner()
    yield twin
    twin.close()


def consent_events(app: Any, count: int) -> list[dict[str, Any]]:
    """The outbox's consent events once `count` of them are there (written on the worker)."""

    def found() -> list[dict[str, Any]]:
        return [e for e in app.store.outbox.pending() if e["type"].startswith("consent.")]

    assert pump(lambda: len(found()) >= count)
    events = found()
    assert len(events) == count
    for event in events:
        assert ID_NUMBER not in str(event) and NAME not in str(event)
    return events


def issued_ticket(app: Any) -> dict[str, Any]:
    [issued] = [e for e in app.store.outbox.pending() if e["type"] == "ticket.issued"]
    return issued["data"]


def test_a_yes_then_the_card_confirmed_is_one_answer_linked_to_the_ticket(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        scanner.scan(CARD)
        assert pump(lambda: app.root.current == "id_confirm")
        tap(app.root.get_screen("id_confirm").ids.correct)
        assert pump(lambda: app.root.current == "ticket")
        [answered] = consent_events(app, 1)
        ticket = issued_ticket(app)
    data = answered["data"]
    assert answered["type"] == "consent.answered"
    assert (data["answer"], data["language"], data["field_id"]) == ("yes", "vi", "ho-tich")
    assert (data["ticket_id"], data["label"], data["day"]) == (
        ticket["ticket_id"],
        ticket["label"],
        ticket["day"],
    )
    assert data["text_version"] == recomputed_version("vi")
    assert answered["occurred_at"] == data["answered_at"] <= ticket["issued_at"]


def test_a_no_is_an_answer_linked_to_the_ticket(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_consent(app)
        decline = app.root.get_screen("id_consent").ids.decline
        tap(decline)
        tap(decline)  # a second tap before the screen changes is not a second answer
        assert pump(lambda: app.root.current == "ticket")
        [answered] = consent_events(app, 1)
        assert answered["data"]["answer"] == "no"
        assert answered["data"]["ticket_id"] == issued_ticket(app)["ticket_id"]


@pytest.mark.parametrize("how", ["not correct", "skip"])
def test_declaring_oneself_after_a_yes_withdraws_the_consent(tmp_path, scanner, how):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        if how == "skip":
            tap(app.root.get_screen("id_scan").ids.skip)
        else:
            scanner.scan(CARD)
            assert pump(lambda: app.root.current == "id_confirm")
            tap(app.root.get_screen("id_confirm").ids.not_correct)
        assert pump(lambda: app.root.current == "ticket")
        answered, withdrawn = consent_events(app, 2)
        ticket = issued_ticket(app)
        assert app.store.outbox.summary()["personal_pending"] == 0
    assert (answered["type"], answered["data"]["answer"]) == ("consent.answered", "yes")
    assert withdrawn["type"] == "consent.withdrawn"
    assert withdrawn["data"]["consent_id"] == answered["data"]["consent_id"]
    assert withdrawn["data"]["ticket_id"] == answered["data"]["ticket_id"] == ticket["ticket_id"]
    assert withdrawn["occurred_at"] == withdrawn["data"]["withdrawn_at"] >= answered["occurred_at"]


def test_a_visit_left_after_answering_records_the_answer_without_a_ticket(tmp_path, scanner):
    with lobby_with_scanner(tmp_path, scanner) as (app, _printer):
        app.set_language("en")
        to_consent(app)
        tap(app.root.get_screen("id_consent").ids.agree)
        assert pump(lambda: app.root.current == "id_scan")
        tap(app.root.get_screen("id_scan").ids.back)
        assert pump(lambda: app.root.current == "fields")
        [answered] = consent_events(app, 1)
        assert not [e for e in app.store.outbox.pending() if e["type"] == "ticket.issued"]
    data = answered["data"]
    assert (data["answer"], data["ticket_id"], data["label"]) == ("yes", None, None)
    assert data["language"] == "en"
    assert data["text_version"] == recomputed_version("en")


def test_kiosk_consent_text_prints_the_text_and_the_version_an_inspector_recomputes():
    result = kiosk("consent-text", "--lang", "vi")
    assert result.returncode == 0, result.stderr
    _intro, text, version = result.stdout.rstrip("\n").split("\n\n")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == recomputed_version("vi")
    assert version == f"text_version: {recomputed_version('vi')}"
    assert text.splitlines()[2:] == ["Đồng ý, quét thẻ", "Không, tôi tự khai"]
