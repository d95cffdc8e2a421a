"""What goes on paper: the ticket, a sample ticket and the printer test page, as print jobs.

Printer-neutral: the encoder in devices/ decides, per printer profile, what is printed natively
and what is rasterised. Nothing personal is ever printed.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from datetime import datetime

from devices.printer import PrinterState
from devices.printjob import Cut, Element, HeadPattern, PrintJob, QRCode, Rule, Text
from devices.profiles import PrinterProfile
from kiosk.config import Config, FieldConfig, OfficeConfig
from kiosk.i18n import N_, Translator
from kiosk.store.tickets import WAITING_SERVER
from kiosk.ticket_signing import sign_ticket
from kiosk.tickets import WAITING_AHEAD, Ticket

BIG_NUMBER_SIZE = 6
"""Requested magnification of the ticket number; the encoder fits it to the printer."""

VIETNAMESE_VOWELS = "aăâeêioôơuưy"
# No mark, then the combining huyền, sắc, hỏi, ngã, nặng.
TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VOWEL_GROUPS_PER_LINE = 3
ASCII_PER_LINE = 32
RASTER_SAMPLE = "Đất đai – Xây dựng"
"""Stacked marks (ấ) and a dot below (ự): the raster line box must hold both."""
TEST_QR_PAYLOAD = "TEST"
"""What the test page's QR code holds: plain text no counter takes for a ticket."""
# The printer's state as the test page names it.
PRINTER_STATE_WORDS = {
    PrinterState.READY: N_("ready"),
    PrinterState.PAPER_NEAR_END: N_("paper near its end"),
    PrinterState.PAPER_OUT: N_("out of paper"),
    PrinterState.COVER_OPEN: N_("cover open"),
    PrinterState.OFFLINE: N_("not responding"),
    PrinterState.DISCONNECTED: N_("not connected"),
}


def build_ticket_job(
    ticket: Ticket,
    field: FieldConfig,
    office: OfficeConfig,
    translator: Translator,
    lang: str,
    *,
    reprinted_at: datetime | None = None,
) -> PrintJob:
    """The paper ticket in the citizen's language (office names stay as configured).

    With `reprinted_at` it is a copy (technician menu, `kiosk reprint`): headed "IN LẠI" and
    carrying the time of the reprint beside the time issued; number and QR stay the same.
    """

    def tr(msgid: str) -> str:
        return translator.gettext(msgid, lang)

    def when(moment: datetime) -> str:
        return f"{moment.astimezone(office.timezone):%H:%M %d/%m/%Y}"

    elements: list[Element] = []
    if reprinted_at is not None:
        elements.append(Text(tr("REPRINT"), size=2, bold=True))
    elements += [
        Text(office.centre),
        Text(office.name, bold=True),
        Text(tr("QUEUE NUMBER")),
        # The printer's own font: a few bytes where the number rasterised at 6x is kilobytes.
        Text(ticket.label, size=BIG_NUMBER_SIZE, bold=True, render="native"),
        Text(field.name(lang), size=2, bold=True),
    ]
    if ticket.priority:
        elements.append(Text(tr("PRIORITY"), size=2, bold=True))
    elements += [
        Text(tr(WAITING_AHEAD[ticket.waiting_source]).format(count=ticket.waiting_ahead)),
        Text(tr("Issued at: {time}").format(time=when(ticket.issued_at))),
    ]
    if reprinted_at is not None:
        elements.append(Text(tr("Reprinted at: {time}").format(time=when(reprinted_at)), bold=True))
    elements += [
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
        waiting_source=WAITING_SERVER,
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


def printer_font_lines() -> list[str]:
    """The printable ASCII characters, a row of 32 a line: the printer's own character set."""
    characters = "".join(chr(code) for code in range(0x21, 0x7F))
    return [characters[i : i + ASCII_PER_LINE] for i in range(0, len(characters), ASCII_PER_LINE)]


def build_test_page_job(
    profile: PrinterProfile,
    office: OfficeConfig,
    now: datetime,
    translator: Translator,
    lang: str,
    *,
    printer_state: PrinterState | None = None,
) -> PrintJob:
    """The technician's self-test page (`kiosk print-test`, the technician menu): the profile and
    its width, the printer's state before the page (`printer_state`, when known), a raster block
    for the print head (HeadPattern), the printer's own character set, every Vietnamese letter as
    the profile prints text, a raster text sample and a QR code holding the plain text "TEST",
    then a cut, so one glance shows whether this model prints correctly. It says at both ends
    that it is not a queue ticket, and it has no number that could pass for one.
    """

    def tr(msgid: str) -> str:
        return translator.gettext(msgid, lang)

    local = now.astimezone(office.timezone)
    if profile.text_encoding:
        text_mode = tr("text mode, {encoding}, code page {codepage}").format(
            encoding=profile.text_encoding, codepage=profile.codepage
        )
    else:
        text_mode = tr("raster (bundled font)")
    heading = tr("TEST PAGE – NOT A QUEUE TICKET")
    status = []
    if printer_state is not None:
        words = tr(PRINTER_STATE_WORDS[printer_state])
        status.append(Text(tr("Printer status: {state}").format(state=words), align="left"))
    elements: list[Element] = [
        Text(heading, size=2, bold=True),
        Text(f"{office.name} ({office.code})"),
        Text(f"{local:%H:%M %d/%m/%Y}"),
        Rule(),
        Text(tr("Printer profile: {name}").format(name=profile.name), align="left"),
        Text(tr("Paper width: {dots} dots").format(dots=profile.width_dots), align="left"),
        Text(tr("Vietnamese text: {mode}").format(mode=text_mode), align="left"),
        *status,
        Rule(),
        Text(tr("Print head (solid, then every other dot):"), align="left", bold=True),
        HeadPattern(),
        Text(tr("Printer font:"), align="left", bold=True),
        *(Text(line, align="left", render="native") for line in printer_font_lines()),
        Text(tr("Vietnamese letters:"), align="left", bold=True),
        *(Text(line, align="left") for line in vietnamese_letter_lines()),
        Text(tr("Raster sample (bundled font):"), align="left", bold=True),
        Text(RASTER_SAMPLE, size=2, bold=True, render="raster"),
        Rule(),
        QRCode(TEST_QR_PAYLOAD),
        Text(heading, bold=True),
        Cut(),
    ]
    return PrintJob(tuple(elements))
