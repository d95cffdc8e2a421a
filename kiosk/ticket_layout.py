"""What goes on paper: the ticket, a sample ticket and the printer test page, as print jobs.

Printer-neutral: the encoder in devices/ decides, per printer profile, what is printed natively
and what is rasterised. Nothing personal is ever printed.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from datetime import datetime

from devices.printjob import Cut, Element, PrintJob, QRCode, Rule, Text
from devices.profiles import PrinterProfile
from kiosk.config import Config, FieldConfig, OfficeConfig
from kiosk.i18n import Translator
from kiosk.ticket_signing import sign_ticket
from kiosk.tickets import Ticket

BIG_NUMBER_SIZE = 6
"""Requested magnification of the ticket number; the encoder fits it to the printer."""

VIETNAMESE_VOWELS = "aăâeêioôơuưy"
# No mark, then the combining huyền, sắc, hỏi, ngã, nặng.
TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VOWEL_GROUPS_PER_LINE = 3


def build_ticket_job(
    ticket: Ticket, field: FieldConfig, office: OfficeConfig, translator: Translator, lang: str
) -> PrintJob:
    """The paper ticket in the citizen's language (office names stay as configured)."""

    def tr(msgid: str) -> str:
        return translator.gettext(msgid, lang)

    issued = ticket.issued_at.astimezone(office.timezone)
    elements: list[Element] = [
        Text(office.centre),
        Text(office.name, bold=True),
        Text(tr("QUEUE NUMBER")),
        Text(ticket.label, size=BIG_NUMBER_SIZE, bold=True),
        Text(field.name(lang), size=2, bold=True),
    ]
    if ticket.priority:
        elements.append(Text(tr("PRIORITY"), size=2, bold=True))
    elements += [
        Text(tr("People waiting ahead of you: {count}").format(count=ticket.waiting_ahead)),
        Text(tr("Issued at: {time}").format(time=f"{issued:%H:%M %d/%m/%Y}")),
        Rule(),
        Text(tr("Please watch the screen and listen for your number")),
        Text(tr("Valid today only")),
        QRCode(ticket.qr_payload),
        Cut(),
    ]
    return PrintJob(tuple(elements))


def build_sample_ticket_job(config: Config, translator: Translator, now: datetime) -> PrintJob:
    """A ticket as the first of the catalogue would print, marked as a sample, for set-up.

    Its QR is signed with a throwaway key, so no counter will ever accept it.
    """
    field = config.catalogue.fields[0]
    day = config.office.day_rule.day_of(now)
    label = field.label(field.first)
    ticket = Ticket(
        id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
        office=config.office.code,
        day=day,
        field_id=field.id,
        number=field.first,
        label=label,
        priority=config.catalogue.priority_enabled,
        issued_at=now,
        waiting_ahead=0,
        qr_payload=sign_ticket(
            office=config.office.code,
            day=day,
            label=label,
            device_id=config.device.id,
            key=secrets.token_bytes(32),
        ),
        print_status="pending",
        print_error=None,
        print_attempts=0,
        printed_at=None,
    )
    lang = translator.language
    job = build_ticket_job(ticket, field, config.office, translator, lang)
    marker = Text(translator.gettext("SAMPLE TICKET – NOT VALID", lang), bold=True)
    return PrintJob((marker, *job.elements))


def vietnamese_letter_lines() -> list[str]:
    """Every Vietnamese letter with every tone, lower case then upper case, a few vowels a line."""
    groups = [
        " ".join(unicodedata.normalize("NFC", vowel + tone) for tone in TONE_MARKS)
        for vowel in VIETNAMESE_VOWELS
    ]
    lines = [
        "  ".join(groups[i : i + VOWEL_GROUPS_PER_LINE])
        for i in range(0, len(groups), VOWEL_GROUPS_PER_LINE)
    ]
    lines.append("đ")
    return lines + [line.upper() for line in lines]


def build_test_page_job(profile: PrinterProfile, office: OfficeConfig, now: datetime) -> PrintJob:
    """The technician's test page (`kiosk print-test`): profile, width, every Vietnamese letter,
    a native big number and a QR, so one glance shows whether this model prints correctly.
    """
    local = now.astimezone(office.timezone)
    text_mode = (
        f"{profile.text_encoding}, code page {profile.codepage}"
        if profile.text_encoding
        else "raster"
    )
    elements: list[Element] = [
        Text("IN THỬ – PRINTER TEST", size=2, bold=True),
        Text(f"{office.name} ({office.code})"),
        Text(f"Profile: {profile.name}", align="left"),
        Text(f"Width: {profile.width_dots} dots", align="left"),
        Text(f"Vietnamese text: {text_mode}", align="left"),
        Rule(),
        *(Text(line, align="left") for line in vietnamese_letter_lines()),
        Text("Đất đai – Xây dựng", bold=True),
        Rule(),
        Text("1023", size=profile.big_number_scale, bold=True),
        QRCode(f"KIOSK PRINT TEST {profile.name} {local:%Y-%m-%d}"),
        Text(f"{local:%H:%M %d/%m/%Y}"),
        Cut(),
    ]
    return PrintJob(tuple(elements))
