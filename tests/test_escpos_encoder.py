"""The ESC/POS encoder: sizes of a real ticket, Vietnamese in cp1258, wrapping, profiles."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices import escpos_commands as cmd
from devices import raster
from devices.escpos_encoder import QR_PAYLOAD_LIMIT, encode, longest_command, to_cp1258
from devices.printjob import Cut, Feed, PrintJob, QRCode, Rule, Text
from devices.profiles import PrinterProfile
from tests.support.paper import read_jobs

CONFIG = Path(__file__).resolve().parent.parent / "config"
FONT_REGULAR = CONFIG / "fonts" / "Roboto-Regular.ttf"
FONT_BOLD = CONFIG / "fonts" / "Roboto-Bold.ttf"

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VIETNAMESE_LETTERS = [
    *(unicodedata.normalize("NFC", vowel + tone) for vowel in VOWELS for tone in TONES),
    *"bcdđghklmnpqrstvx",
]
VIETNAMESE_LETTERS += [letter.upper() for letter in VIETNAMESE_LETTERS]


def load_profiles() -> dict[str, PrinterProfile]:
    with (CONFIG / "printers.toml").open("rb") as f:
        table = tomllib.load(f)["profile"]
    return {
        name: PrinterProfile.from_mapping(name, mapping, FONT_REGULAR, FONT_BOLD)
        for name, mapping in table.items()
    }


PROFILES = load_profiles()


def sample_ticket(big_number_size: int = 6) -> PrintJob:
    """A typical ticket: what the benchmark and the size targets are about."""
    return PrintJob(
        (
            Text("Phường Đại Mỗ", bold=True),
            Text("SỐ THỨ TỰ"),
            Text("1023", size=big_number_size, bold=True, render="native"),
            Text("Đất đai – Xây dựng", size=2, bold=True),
            Text("Số người chờ trước Ông/Bà: 5"),
            Text("Giờ lấy số: 08:15 26/11/2026"),
            Text("Vui lòng theo dõi màn hình và loa gọi số"),
            Text("Phiếu chỉ có giá trị trong ngày"),
            Feed(1),
            QRCode("https://kiosk.daimo.gov.vn/t/00637-20261126-1023-a1b2"),
            Feed(1),
            Cut(),
        )
    )


def raster_images(data: bytes) -> list[tuple[int, int]]:
    """(bytes per row, rows) of each GS v 0 image in a stream holding only ESC @, ESC a and
    GS v 0 (each raster skipped whole, so its data cannot be mistaken for a command)."""
    images = []
    pos = 0
    while pos < len(data):
        if data[pos : pos + 3] == b"\x1dv0":
            width, rows = (
                int.from_bytes(data[pos + 4 : pos + 6], "little"),
                int.from_bytes(data[pos + 6 : pos + 8], "little"),
            )
            images.append((width, rows))
            pos += 8 + width * rows
        elif data[pos : pos + 2] == b"\x1b@":
            pos += 2
        elif data[pos : pos + 2] == b"\x1ba":
            pos += 3
        else:
            raise AssertionError(f"unexpected byte {data[pos]:#04x} at {pos}")
    return images


def test_sample_ticket_hybrid_80mm_is_small_and_far_smaller_than_full_raster() -> None:
    profile = PROFILES["generic-80"]
    hybrid = encode(sample_ticket(), profile)
    full = encode(sample_ticket(), profile, full_raster=True)
    assert len(hybrid) <= 8 * 1024
    assert len(full) >= 5 * len(hybrid)


def test_sample_ticket_in_cp1258_text_mode_is_tiny_and_has_no_raster() -> None:
    data = encode(sample_ticket(), PROFILES["epson-80-cp1258"])
    assert len(data) <= 600
    assert b"\x1dv0" not in data
    assert cmd.codepage(52) in data
    assert to_cp1258("Số người chờ trước Ông/Bà: 5") in data


def test_hybrid_prints_ascii_big_number_and_qr_natively() -> None:
    data = encode(sample_ticket(), PROFILES["generic-80"])
    assert data.startswith(cmd.initialize())
    assert cmd.char_size(6, 6) + b"1023\n" in data.replace(cmd.bold(True), b"")
    payload = b"https://kiosk.daimo.gov.vn/t/00637-20261126-1023-a1b2"
    assert cmd.qr_store(payload) + cmd.qr_print() in data
    assert cmd.qr_module_size(7) in data
    assert data.endswith(cmd.feed_lines(4) + cmd.cut_after_feed(0))


def test_size_above_the_profile_scale_is_reduced_to_it() -> None:
    data = encode(PrintJob((Text("1023", size=6, render="native"),)), PROFILES["generic-58"])
    assert cmd.char_size(4, 4) + b"1023\n" in data


@pytest.mark.parametrize("letter", VIETNAMESE_LETTERS)
def test_cp1258_round_trip_of_every_vietnamese_letter(letter: str) -> None:
    encoded = to_cp1258(letter)
    assert 1 <= len(encoded) <= 2
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == letter
    assert to_cp1258(unicodedata.normalize("NFD", letter)) == encoded


def test_cp1258_uses_base_letter_plus_combining_tone_where_needed() -> None:
    assert to_cp1258("ố") == b"\xf4\xec"  # ô + combining acute
    assert to_cp1258("ự") == b"\xfd\xf2"  # ư + combining dot below
    assert to_cp1258("ẫ") == b"\xe2\xde"  # â + combining tilde
    assert to_cp1258("ả") == b"a\xd2"  # a + combining hook above
    assert to_cp1258("à") == b"\xe0"  # precomposed in cp1258
    assert to_cp1258("Đ – đ") == b"\xd0 \x96 \xf0"


@given(st.text(alphabet="".join(VIETNAMESE_LETTERS) + " .,:/–0123456789"))
def test_cp1258_round_trip_of_any_vietnamese_text(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert unicodedata.normalize("NFC", to_cp1258(text).decode("cp1258")) == nfc


def test_cp1258_profile_rasterises_a_line_cp1258_cannot_express() -> None:
    data = encode(PrintJob((Text("Hà Nội → 北京"),)), PROFILES["epson-80-cp1258"])
    assert len(raster_images(data)) == 1


def test_long_ascii_text_wraps_at_the_column_count() -> None:
    words = " ".join(f"word{i}" for i in range(40))
    data = encode(PrintJob((Text(words, align="left", render="native"),)), PROFILES["generic-80"])
    lines = data.removeprefix(cmd.initialize()).split(b"\n")
    assert lines[-1] == b""
    assert len(lines[:-1]) > 1
    assert all(len(line) <= 576 // 12 for line in lines[:-1])
    assert b" ".join(lines[:-1]).decode() == words


def test_long_text_at_size_2_wraps_at_half_the_columns() -> None:
    job = PrintJob((Text("x" * 30, size=2, align="left", render="native"),))
    data = encode(job, PROFILES["generic-58"])
    body = data.removeprefix(cmd.initialize() + cmd.char_size(2, 2))
    assert body == b"x" * 16 + b"\n" + b"x" * 14 + b"\n"


def test_long_vietnamese_text_wraps_into_several_raster_lines_within_the_paper() -> None:
    profile = PROFILES["generic-58"]
    text = "Vui lòng theo dõi màn hình và loa gọi số. Phiếu chỉ có giá trị trong ngày."
    images = raster_images(encode(PrintJob((Text(text),)), profile))
    assert len(images) >= 2
    assert all(width * 8 <= profile.width_dots for width, _ in images)
    assert {rows for _, rows in images} == {profile.font_px}


def test_raster_lines_are_cropped_to_ink_and_as_tall_as_the_line_box() -> None:
    short, long = (
        raster.text_images(text, FONT_REGULAR, 26, 576)[0] for text in ("Số", "Số người chờ")
    )
    assert short.height == long.height == 26
    assert 8 < short.width < long.width < 576
    for image in (short, long):
        _, top, _, bottom = image.getbbox()
        assert image.getbbox() == (0, top, image.width, bottom)


def test_no_vietnamese_mark_is_clipped_by_the_line_box() -> None:
    for font in (FONT_REGULAR, FONT_BOLD):
        for height in (22, 26, 52, 208):
            line = raster.line_font(font, height)
            _, top, _, bottom = line.font.getbbox("ẪỖỮẴỸ Ỵ gjpqỵ", anchor="la")
            assert line.baseline_offset + top >= 0
            assert line.baseline_offset + bottom <= height


def test_text_is_nfc_normalised_before_rendering() -> None:
    nfc, nfd = (
        raster.text_images(unicodedata.normalize(form, "Đất đai"), FONT_REGULAR, 26, 576)[0]
        for form in ("NFC", "NFD")
    )
    assert nfc.tobytes() == nfd.tobytes()


@given(
    words=st.lists(st.text(alphabet="abcdeghiklmnoprstuvxyăâđêôơư", min_size=1), max_size=30),
    width=st.integers(min_value=1, max_value=40),
)
def test_wrap_keeps_every_character_and_every_line_fits(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = raster.wrap(text, lambda line: len(line) <= width)
    assert all(len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    if all(len(word) <= width for word in words):
        assert " ".join(lines) == " ".join(text.split())


def test_rule_is_a_row_of_native_dashes_across_the_paper() -> None:
    data = encode(PrintJob((Rule(),)), PROFILES["generic-80"])
    assert b"\x1dv0" not in data  # no raster image
    assert b"-" * 48 + b"\n" in data and b"-" * 49 not in data


def test_full_raster_is_one_page_of_bands_then_feed_and_cut() -> None:
    profile = PROFILES["generic-80"]
    data = encode(sample_ticket(), profile, full_raster=True)
    tail = cmd.feed_lines(profile.feed_before_cut) + cmd.cut_after_feed(0)
    assert data.endswith(tail)
    images = raster_images(data.removesuffix(tail))
    assert all(width == 72 and rows <= 256 for width, rows in images)
    assert len(images) >= 2


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("width_dots", 580, "multiple of 8"),
        ("width_dots", 1024, "384 to 832"),
        ("text_encoding", "tcvn3", '"cp1258"'),
        ("big_number_scale", 9, "1 to 8"),
        ("qr_module", True, "qr_module"),
        ("paper", "a4", "unknown key 'paper'"),
    ],
)
def test_profile_errors_name_the_key_and_what_is_allowed(
    key: str, value: object, message: str
) -> None:
    with (CONFIG / "printers.toml").open("rb") as f:
        mapping = dict(tomllib.load(f)["profile"]["generic-80"])
    mapping[key] = value
    with pytest.raises(ValueError, match=key) as error:
        PrinterProfile.from_mapping("generic-80", mapping, FONT_REGULAR, FONT_BOLD)
    assert message in str(error.value)


def test_profile_missing_key_and_missing_font_are_reported() -> None:
    with (CONFIG / "printers.toml").open("rb") as f:
        mapping = dict(tomllib.load(f)["profile"]["generic-80"])
    with pytest.raises(ValueError, match="font_bold"):
        PrinterProfile.from_mapping("x", mapping, FONT_REGULAR, CONFIG / "fonts" / "nope.ttf")
    del mapping["qr_module"]
    with pytest.raises(ValueError, match="missing key 'qr_module'"):
        PrinterProfile.from_mapping("x", mapping, FONT_REGULAR, FONT_BOLD)


@pytest.mark.parametrize("full_raster", [False, True])
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_no_command_is_longer_than_the_resynchronisation_padding(
    name: str, full_raster: bool
) -> None:
    profile = PROFILES[name]
    tall = PrintJob((Text("Đất đai – Xây dựng " * 20, size=8, render="raster"), Cut()))
    longest = longest_command(profile)
    for job in (sample_ticket(), tall, PrintJob((QRCode("x" * QR_PAYLOAD_LIMIT), Cut()))):
        (stream,) = read_jobs(encode(job, profile, full_raster=full_raster))
        images = [c for c in stream.commands if c[:3] == b"\x1dv0"]
        assert images or stream.qr  # something to measure
        for header in images:
            width, rows = (
                int.from_bytes(header[4:6], "little"),
                int.from_bytes(header[6:8], "little"),
            )
            assert 8 + width * rows <= longest
        assert all(8 + len(payload) <= longest for payload in stream.qr)
    with pytest.raises(ValueError, match="QR payload"):
        encode(PrintJob((QRCode("x" * (QR_PAYLOAD_LIMIT + 1)),)), profile)
