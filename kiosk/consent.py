"""Consent that can be shown to an inspector: the version of the consent text, and the
`consent.answered` / `consent.withdrawn` events of a visit. None of them holds card data.

The text version is the SHA-256 (hex) of the consent screen's texts in the language shown:
the translations (msgstr; in English the msgid) of CONSENT_MSGIDS in that order, joined with
one line feed, UTF-8 encoded. An inspector recomputes it from config/locale/vi/LC_MESSAGES/
kiosk.po, or with `kiosk consent-text --lang vi`.

One answer is one tap of "Yes, scan my card" or "No, I will fill in the forms myself". It is
written when the visit's ticket is issued (with its ticket id and label), or, when the visit
ends without a ticket (Back to the fields, the screen timing out), with no ticket. A withdrawal
is a tap, after a yes, of "Skip, I will fill in the forms myself" on the scan screen or of "Not
correct, I will fill in myself" on the confirmation screen: the ticket is then issued without
card data, and the withdrawal is written beside its answer.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from kiosk import events
from kiosk.i18n import LANGUAGES, N_, Translator

# The consent screen's texts (screens/id_consent.kv shows exactly these): question, notice,
# the yes button, the no button.
CONSENT_MSGIDS = (
    N_("Would you like to use your ID card so that the officer can fill in your forms?"),
    N_(
        "The kiosk reads only the QR code of the card: ID number, old ID card number, full name,"
        " date of birth, sex, address and date of issue. They go only to the officer who receives"
        " your dossier and the dossier software of the office, to fill in your forms, and are"
        " deleted from this system at the end of the day. No picture of the card is taken."
    ),
    N_("Yes, scan my card"),
    N_("No, I will fill in the forms myself"),
)
YES = "yes"
NO = "no"


def consent_text(translator: Translator, language: str) -> str:
    """The consent screen's texts in `language`, one per line, as they are hashed."""
    return "\n".join(translator.gettext(msgid, language) for msgid in CONSENT_MSGIDS)


def text_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_versions(translator: Translator) -> dict[str, str]:
    """The text version of every language, computed once from the catalogue."""
    return {language: text_version(consent_text(translator, language)) for language in LANGUAGES}


@dataclass(frozen=True)
class Answer:
    """A citizen's answer on the consent screen, kept until its visit has a ticket or ends."""

    consent_id: str
    answer: str  # YES or NO
    answered_at: datetime
    language: str
    text_version: str
    field_id: str
    withdrawn_at: datetime | None = None

    @classmethod
    def given(
        cls, agreed: bool, at: datetime, language: str, version: str, field_id: str
    ) -> Answer:
        return cls(str(uuid.uuid4()), YES if agreed else NO, at, language, version, field_id)

    def withdrawn(self, at: datetime) -> Answer:
        """The answer once the citizen chose to declare themselves after a yes."""
        if self.answer != YES or self.withdrawn_at is not None:
            return self
        return replace(self, withdrawn_at=at)


def consent_events(
    answer: Answer,
    *,
    day: date,
    ticket_id: str | None,
    label: str | None,
    office: str,
    device_id: str,
) -> list[events.Event]:
    """The answer's `consent.answered` event, and its `consent.withdrawn` when it was."""
    link = {"consent_id": answer.consent_id, "day": day.isoformat()}
    link |= {"ticket_id": ticket_id, "label": label}
    answered = {
        **link,
        "answer": answer.answer,
        "answered_at": events.rfc3339(answer.answered_at),
        "language": answer.language,
        "text_version": answer.text_version,
        "field_id": answer.field_id,
    }
    out = [
        events.new_event(
            events.CONSENT_ANSWERED,
            answered,
            office=office,
            device_id=device_id,
            occurred_at=answer.answered_at,
        )
    ]
    if answer.withdrawn_at is not None:
        withdrawn = {**link, "withdrawn_at": events.rfc3339(answer.withdrawn_at)}
        out.append(
            events.new_event(
                events.CONSENT_WITHDRAWN,
                withdrawn,
                office=office,
                device_id=device_id,
                occurred_at=answer.withdrawn_at,
            )
        )
    return out
