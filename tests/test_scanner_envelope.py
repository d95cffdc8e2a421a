"""What imagers wrap around a code, taken off (devices.scanner_envelope), built from the formats
the manuals give; every card still parses to the same CitizenID, and nothing else becomes one.

Sources of the formats (each case below names its own):
- ISO/IEC 15424 / ISO/IEC 18004 (as implemented by zxing-cpp's QR decoder): the AIM symbology
  identifier `]Q` + modifier: 0 model 1, 1 model 2, 2 model 2 with the ECI protocol, 3/4 FNC1 in
  first position (GS1) without/with ECI, 5/6 FNC1 in second position (AIM) without/with ECI.
- AIM ECI protocol (Zebra DS2208 PRG, table E-3; AIM ITS/04-023): an ECI designator is sent as
  a backslash and 6 digits, every data backslash doubled; 000026 UTF-8, 000003 ISO-8859-1.
- Honeywell Xenon/Voyager and 8600 guides: [prefix][Code ID][AIM ID][data][suffix]; QR's Code ID
  is "s"; the suffix is CR by default, configurable (CR LF, TAB, ETX...).
- Newland NLS manuals: [Code ID][Custom Prefix][AIM ID][DATA][Custom Suffix][Terminating Char].
- Datalogic Magellan PRG: "Label ID" for QR is "QR" (a 2-letter prefix) by default.
- Serial framing of older/OEM engines: STX data ETX.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from devices.scanner import SerialScanner
from devices.scanner_envelope import (
    AIM,
    BOM,
    ECI,
    FRAMING,
    LINE_END,
    PADDING,
    PREFIX,
    TRAILER,
    EnvelopeSettings,
    Part,
    unwrap,
)
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id import InvalidCitizenQR, parse
from kiosk.config import ConfigError, load_config
from tests.support.device import write_override
from tests.test_citizen_id import TODAY, VALID, shared_samples
from tests.test_scanner import Recorder

CARDS = [sample.payload for sample in shared_samples() if sample.expect in ("ok", "warn")]
CARD = VALID.encode()

# (name, before the data, after the data): the envelopes "auto" detects.
ENVELOPES = [
    ("bare", b"", b""),
    ("AIM model 2 (ISO/IEC 18004)", b"]Q1", b""),
    ("AIM model 1", b"]Q0", b""),
    ("AIM FNC1 first position", b"]Q3", b""),
    ("AIM FNC1 second position", b"]Q5", b""),
    ("AIM + ECI UTF-8 (Zebra PRG E-3)", b"]Q2\\000026", b""),
    ("AIM FNC1 + ECI UTF-8", b"]Q4\\000026", b""),
    ("ECI UTF-8 without AIM", b"\\000026", b""),
    ("UTF-8 byte-order mark", b"\xef\xbb\xbf", b""),
    ("AIM then BOM", b"]Q1\xef\xbb\xbf", b""),
    ("STX/ETX framing", b"\x02", b"\x03"),
    ("padding: spaces", b"  ", b"  "),
    ("padding: NUL and 0xFF", b"\x00\xff", b"\x00\x00\xff"),
]
LINE_ENDS = {
    "none": b"",
    "CR (Honeywell default)": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "LFCR": b"\n\r",
    "TAB": b"\t",
    "ETX": b"\x03",
    "EOT": b"\x04",
}


def fields_of(payload: bytes) -> dict[str, object]:
    return parse(payload, today=TODAY).as_dict()


@pytest.mark.parametrize("card", CARDS, ids=range(len(CARDS)))
def test_every_card_in_every_envelope_and_line_end_parses_to_the_same_card(card: bytes) -> None:
    expected = fields_of(card)
    for (name, before, after), end in itertools.product(ENVELOPES, LINE_ENDS.values()):
        read = unwrap(before + card + after + end)
        assert fields_of(read.payload) == expected, (name, end)


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        (b"]Q1%s\r\n", [Part(AIM, "]Q1"), Part(LINE_END, "CRLF")]),
        (
            b"]Q2\\000026%s\r",
            [Part(AIM, "]Q2"), Part(ECI, "000026", "utf-8"), Part(LINE_END, "CR")],
        ),
        (b"\xef\xbb\xbf%s\n\r", [Part(BOM), Part(LINE_END, "LFCR")]),
        (b"\x02%s\x03\r\n", [Part(FRAMING, "STX"), Part(LINE_END, "ETX+CRLF")]),
        (b"  %s \x00\t", [Part(PADDING), Part(LINE_END, "TAB")]),
        (b"%s", []),
    ],
)
def test_the_parts_found_are_named_in_order(line: bytes, parts: list[Part]) -> None:
    read = unwrap(line.replace(b"%s", CARD))
    assert read.payload == CARD
    assert list(read.parts) == parts


def test_an_eci_other_than_utf8_is_decoded_as_declared_and_handed_on_as_utf8() -> None:
    # AIM ECI: ISO-8859-1 (000003) declared for text that fits it; the parser gets UTF-8.
    latin = "Ông Zoé".encode("iso8859-1")
    read = unwrap(b"]Q2\\000003" + latin + b"\r\n")
    assert read.payload == "Ông Zoé".encode()
    assert read.parts[1] == Part(ECI, "000003", "iso8859-1")


def test_a_card_in_utf8_declared_as_iso_8859_1_is_repaired_by_the_parser() -> None:
    # An encoder that wrote ECI 000003 over UTF-8 bytes: decoding as declared gives mojibake,
    # which the parser proves and undoes (kiosk.citizen_id_text).
    card = parse(unwrap(b"]Q2\\000003" + CARD).payload, today=TODAY)
    assert card.name == "Nguyễn Văn Mẫu" and "text-repaired" in card.warnings


def test_under_the_eci_protocol_a_doubled_backslash_is_one_and_segments_switch() -> None:
    read = unwrap(b"]Q2\\000026a\\\\b\\000003\xe9\r")
    assert read.payload == "a\\bé".encode()
    assert [part.detail for part in read.parts if part.kind == ECI] == ["000026", "000003"]


def test_without_the_eci_protocol_a_backslash_is_data() -> None:
    assert unwrap(b"]Q1a\\\\b\\000026").payload == b"a\\\\b\\000026"
    assert unwrap(b"a\\000026").payload == b"a\\000026"  # not at the start: data


def test_an_eci_that_cannot_be_decoded_leaves_the_bytes_to_the_parser() -> None:
    # Unknown (000099), or ASCII (000027) over bytes that are not: the bytes are handed on as
    # they are and the parser judges them; a card's UTF-8 stays a card, anything else is refused.
    for line in (b"]Q2\\000099" + CARD, b"]Q2\\000027" + CARD, b"]Q2\\000099\xc3(" + CARD):
        read = unwrap(line)
        assert read.parts[1].kind == ECI and read.parts[1].charset == ""
        if read.payload == CARD:
            assert fields_of(read.payload) == fields_of(CARD)
        else:
            with pytest.raises(InvalidCitizenQR, match="not-utf8"):
                parse(read.payload, today=TODAY)


# Code IDs and custom prefixes/suffixes cannot be told from data: set per model.
@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (EnvelopeSettings(prefix=b"s"), b"s]Q1%s\r"),  # Honeywell: Code ID "s" then AIM ID
        (EnvelopeSettings(prefix=b"QR"), b"QR%s\r\n"),  # Datalogic: Label ID "QR"
        (EnvelopeSettings(prefix=b"Q@"), b"Q@]Q1%s\n"),  # Newland: Code ID + custom prefix
        (EnvelopeSettings(prefix=b"P01"), b"P01%s\r"),  # Zebra: Symbol Code ID P01 (QR)
        (EnvelopeSettings(prefix=b"<", trailer=b">"), b"<]Q1%s>\r\n"),  # custom prefix/suffix
        (EnvelopeSettings(envelope="none", prefix=b"s"), b"s%s\r\n"),
    ],
)
def test_a_set_prefix_and_trailer_are_taken_off(settings: EnvelopeSettings, line: bytes) -> None:
    read = unwrap(line.replace(b"%s", CARD), settings)
    assert read.payload == CARD
    assert read.parts[0] == Part(PREFIX)
    assert (Part(TRAILER) in read.parts) == bool(settings.trailer)


def test_a_set_prefix_missing_from_a_line_takes_nothing_off() -> None:
    assert unwrap(CARD + b"\r", EnvelopeSettings(prefix=b"s")).payload == CARD


def test_a_code_id_never_set_is_not_guessed_and_the_card_is_refused() -> None:
    with pytest.raises(InvalidCitizenQR):
        parse(unwrap(b"s]Q1" + CARD).payload, today=TODAY)


def test_envelope_none_takes_off_only_the_line_end() -> None:
    read = unwrap(b"]Q1" + CARD + b"\r\n", EnvelopeSettings(envelope="none"))
    assert read.payload == b"]Q1" + CARD
    assert read.parts == (Part(LINE_END, "CRLF"),)


@pytest.mark.parametrize(
    "line",
    [
        b"]Q1000201010212380010A000000727",  # a VietQR payment code behind an AIM id
        b"]Q1https://dichvucong.gov.vn/p/home/dvc-trang-chu.html\r\n",
        b"]Q2\\000026001099012345\r\n",  # a bare ID number
        b"\xef\xbb\xbfa|b|c|d|e|f|g\r",  # 7 fields of random text
        b"]Q1001099012345|013456789|Nguyen A|15031999|Nam|Ha Noi|x|y|20042021\r",
        b"]Q1" + VALID.replace("Hà Nội", "Hà|Nội").encode(),  # a | in the address
    ],
)
def test_no_envelope_turns_something_else_into_a_card(line: bytes) -> None:
    with pytest.raises(InvalidCitizenQR):
        parse(unwrap(line).payload, today=TODAY)


@pytest.fixture
def twin(tmp_path: Path):
    scanner = VirtualScanner(tmp_path / "qr-scanner")
    yield scanner
    scanner.close()


def test_enveloped_scans_through_a_real_pty_parse_to_the_card(twin: VirtualScanner) -> None:
    recorder = Recorder()
    scanner = SerialScanner(twin.device_path, on_line=recorder.line, on_state=recorder.state)
    scanner.start()
    try:
        assert recorder.wait_state("connected")
        twin.scan(b"]Q1" + CARD, b"\r\n")  # Honeywell with AIM ID on, CRLF suffix
        twin.scan(b"\x02]Q2\\000026" + CARDS[1], b"\x03")  # STX/ETX, ECI protocol, no CR/LF
        twin.scan(b"\xef\xbb\xbf" + CARD, b"\t")  # BOM, TAB suffix
        assert recorder.wait_lines(3)
    finally:
        scanner.stop()
    reads = [unwrap(line) for line in recorder.lines]
    assert [read.payload for read in reads] == [CARD, CARDS[1], CARD]
    assert [read.parts[-1].detail for read in reads] == ["CRLF", "ETX", "TAB"]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ('envelope = "aim"', '[scanner] envelope = "aim" — must be one of "auto", "none"'),
        ('prefix = "s\\r"', "[scanner] prefix = "),
        (f'trailer = "{"x" * 21}"', "must be at most 20 characters, without CR or LF"),
    ],
)
def test_bad_envelope_settings_are_refused(tmp_path: Path, override: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc", kiosk=f"[scanner]\n{override}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert expected in str(caught.value)


def test_envelope_settings_are_read_from_the_config(tmp_path: Path) -> None:
    assert load_config(tmp_path).scanner.envelope_settings == EnvelopeSettings()
    folder = write_override(
        tmp_path / "etc", kiosk='[scanner]\nprefix = "s"\ntrailer = "\\u0003"\n'
    )
    settings = load_config(folder).scanner.envelope_settings
    assert settings == EnvelopeSettings("auto", b"s", b"\x03")
