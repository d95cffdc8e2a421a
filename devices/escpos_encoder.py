"""PrintJob → ESC/POS bytes for one printer profile.

Hybrid (default): the big number (a Text with render="native"), the rule and the QR code go
native (a few bytes each). Words are printed alike whatever their language: with a text-mode
profile (Windows-1258) in the printer's own font, otherwise rasterised with the bundled font, so
an English ticket is not a mix of raster lines and the printer's fixed-pitch font. Full raster:
the whole job as one image, for printers without native QR and as the baseline the hybrid mode
is measured against.

`profile.big_number_scale` is the largest magnification this model prints well: a Text asking
for more (the ticket number is laid out at 6) is printed at that scale instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from PIL import Image

from devices import escpos_commands as cmd
from devices import raster
from devices.printjob import Align, Cut, Feed, HeadPattern, PrintJob, QRCode, Rule, Text
from devices.profiles import PrinterProfile

FONT_A_WIDTH = 12
"""Width in dots of one native character cell (Font A, 12x24) at size 1."""

BAND_ROWS = 64
"""Raster images are sent in GS v 0 bands of at most this many rows: small commands suit the
printers' buffers, and bound the padding that resynchronises a printer cut off in one
(longest_command: 4.6 kB on 80 mm paper, 0.4 s at 115200 baud)."""

QR_PAYLOAD_LIMIT = 1024
"""Longest QR payload sent natively, in bytes (a ticket's is about 60); longer is refused, so
that it too bounds the resynchronisation's padding."""

RULE_ROWS = 2
HEAD_PATTERN_MAX_ROWS = 64

# Vietnamese tone marks; Python's cp1258 codec encodes them as 0xCC, 0xEC, 0xDE, 0xD2, 0xF2.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def encode(job: PrintJob, profile: PrinterProfile, *, full_raster: bool = False) -> bytes:
    """The bytes to send to the printer for `job`, starting with ESC @."""
    if full_raster:
        return _FullRasterEncoder(profile).encode(job)
    return _HybridEncoder(profile).encode(job)


def longest_command(profile: PrinterProfile) -> int:
    """No command `encode` emits for `profile` is longer than this many bytes.

    A printer whose sender died mid-command (a raster band, a QR payload) still waits for the rest
    of it; this many padding bytes are sure to complete whatever it waits for (see
    devices.printer). The largest raster is a full-width band of BAND_ROWS rows; the largest QR
    payload is QR_PAYLOAD_LIMIT bytes.
    """
    band = len(cmd.raster_image(1, 1, b"\0")) - 1 + profile.width_dots // 8 * BAND_ROWS
    return max(band, len(cmd.qr_store(b"0")) - 1 + QR_PAYLOAD_LIMIT)


def _raster_bands(image: Image.Image) -> bytes:
    """An ink mask as GS v 0 commands of at most BAND_ROWS rows each, top to bottom."""
    out = bytearray()
    for top in range(0, image.height, BAND_ROWS):
        band = image.crop((0, top, image.width, min(image.height, top + BAND_ROWS)))
        out += cmd.raster_image(*raster.pack(band))
    return bytes(out)


def to_cp1258(text: str) -> bytes:
    """`text` in Windows-1258 the way Vietnamese printers expect it.

    Letters cp1258 has precomposed stay one byte; the others become their base letter (with
    circumflex, breve or horn when cp1258 has that precomposed) followed by a combining tone
    mark. Raises UnicodeEncodeError for characters cp1258 cannot express at all.
    """
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
            tones = "".join(c for c in parts if c in _TONE_MARKS)
            out += (base + tones).encode("cp1258")
    return bytes(out)


def rule_image(width_dots: int) -> Image.Image:
    """A dashed horizontal line (8 dots on, 8 off) across the paper, as an ink mask."""
    row = bytes(0xFF if i % 2 == 0 else 0x00 for i in range(width_dots // 8))
    return Image.frombytes("1", (width_dots, RULE_ROWS), row * RULE_ROWS)


def head_pattern_image(width_dots: int, pattern: HeadPattern) -> Image.Image:
    """A HeadPattern across the paper, as an ink mask: solid, then a one-dot checkerboard."""
    if not 1 <= pattern.rows <= HEAD_PATTERN_MAX_ROWS:
        limit = HEAD_PATTERN_MAX_ROWS
        raise ValueError(f"head pattern rows must be 1..{limit}, got {pattern.rows}")
    width = width_dots // 8
    checker = (b"\xaa" * width + b"\x55" * width) * ((pattern.rows + 1) // 2)
    data = b"\xff" * width * pattern.rows + checker[: width * pattern.rows]
    return Image.frombytes("1", (width_dots, 2 * pattern.rows), data)


def _fits_cp1258(text: str) -> bool:
    try:
        to_cp1258(text)
    except UnicodeEncodeError:
        return False
    return True


def _size(element: Text, profile: PrinterProfile) -> int:
    if not 1 <= element.size <= 8:
        raise ValueError(f"text size must be 1..8, got {element.size}")
    return min(element.size, profile.big_number_scale)


def _feed(lines: int) -> bytes:
    out = bytearray()
    while lines > 0:
        out += cmd.feed_lines(min(lines, 255))
        lines -= 255
    return bytes(out)


def _cut(profile: PrinterProfile) -> bytes:
    return _feed(profile.feed_before_cut) + cmd.cut_after_feed(0)


class _HybridEncoder:
    """Emits mode commands only when a mode changes, starting from the ESC @ defaults."""

    def __init__(self, profile: PrinterProfile) -> None:
        self._profile = profile
        self._out = bytearray(cmd.initialize())
        self._align: Align = "left"
        self._size = 1
        self._bold = False
        self._codepage = 0

    def encode(self, job: PrintJob) -> bytes:
        for element in job.elements:
            match element:
                case Text():
                    self._text(element)
                case QRCode():
                    self._qr(element)
                case Rule():
                    # A row of native dashes: ~50 bytes where the same line as raster is ~150.
                    dashes = "-" * (self._profile.width_dots // FONT_A_WIDTH)
                    self._native(Text(dashes, align="left"), dashes, lambda line: line.encode())
                case Feed():
                    self._out += _feed(element.lines)
                case Cut():
                    self._out += _cut(self._profile)
                case HeadPattern():
                    self._image(head_pattern_image(self._profile.width_dots, element), "left")
        return bytes(self._out)

    def _text(self, element: Text) -> None:
        text = unicodedata.normalize("NFC", element.text)
        text_mode = self._profile.text_encoding == "cp1258"
        if element.render != "raster":
            if text.isascii() and (text_mode or element.render == "native"):
                self._native(element, text, lambda line: line.encode("ascii"))
                return
            if text_mode and _fits_cp1258(text):
                self._set_codepage(self._profile.codepage)
                self._native(element, text, to_cp1258)
                return
        # Otherwise (a raster profile, or a character outside cp1258) the line is rasterised.
        font = self._profile.font_bold if element.bold else self._profile.font_regular
        height = self._profile.font_px * _size(element, self._profile)
        for image in raster.text_images(text, font, height, self._profile.width_dots):
            self._image(image, element.align)

    def _native(self, element: Text, text: str, to_bytes: Callable[[str], bytes]) -> None:
        size = _size(element, self._profile)
        columns = max(1, self._profile.width_dots // (FONT_A_WIDTH * size))
        self._set_align(element.align)
        if size != self._size:
            self._out += cmd.char_size(size, size)
            self._size = size
        if element.bold != self._bold:
            self._out += cmd.bold(element.bold)
            self._bold = element.bold
        for line in raster.wrap(text, lambda candidate: len(candidate) <= columns):
            self._out += to_bytes(line) + cmd.line_feed()

    def _qr(self, element: QRCode) -> None:
        payload = element.payload.encode("utf-8")
        if len(payload) > QR_PAYLOAD_LIMIT:
            raise ValueError(
                f"QR payload must be at most {QR_PAYLOAD_LIMIT} bytes, got {len(payload)}"
            )
        self._set_align(element.align)
        self._out += cmd.qr_model_2()
        self._out += cmd.qr_module_size(element.module or self._profile.qr_module)
        self._out += cmd.qr_error_correction_m()
        self._out += cmd.qr_store(payload)
        self._out += cmd.qr_print()

    def _image(self, image: Image.Image, align: Align) -> None:
        self._set_align(align)
        self._out += _raster_bands(image)

    def _set_align(self, align: Align) -> None:
        if align != self._align:
            self._out += cmd.align(align)
            self._align = align

    def _set_codepage(self, codepage: int) -> None:
        if codepage != self._codepage:
            self._out += cmd.codepage(codepage)
            self._codepage = codepage


class _FullRasterEncoder:
    """Draws every element onto one page image per cut, sent in GS v 0 bands."""

    def __init__(self, profile: PrinterProfile) -> None:
        self._profile = profile

    def encode(self, job: PrintJob) -> bytes:
        out = bytearray(cmd.initialize())
        blocks: list[tuple[Image.Image, Align]] = []
        for element in job.elements:
            match element:
                case Text():
                    font = self._profile.font_bold if element.bold else self._profile.font_regular
                    height = self._profile.font_px * _size(element, self._profile)
                    for image in raster.text_images(
                        element.text, font, height, self._profile.width_dots
                    ):
                        blocks.append((image, element.align))
                case QRCode():
                    module = element.module or self._profile.qr_module
                    image = raster.qr_image(element.payload.encode("utf-8"), module)
                    blocks.append((image, element.align))
                case Rule():
                    blocks.append((rule_image(self._profile.width_dots), "left"))
                case HeadPattern():
                    pattern = head_pattern_image(self._profile.width_dots, element)
                    blocks.append((pattern, "left"))
                case Feed():
                    blank = Image.new("1", (1, cmd.LINE_DOTS * element.lines), 0)
                    blocks.append((blank, "left"))
                case Cut():
                    out += self._page(blocks) + _cut(self._profile)
                    blocks = []
        out += self._page(blocks)
        return bytes(out)

    def _page(self, blocks: list[tuple[Image.Image, Align]]) -> bytes:
        width = self._profile.width_dots
        height = sum(image.height for image, _ in blocks)
        if not height:
            return b""
        page = Image.new("1", (width, height), 0)
        y = 0
        for image, align in blocks:
            page.paste(image, (_x(align, image.width, width), y))
            y += image.height
        return _raster_bands(page)


def _x(align: Align, item_width: int, paper_width: int) -> int:
    free = max(0, paper_width - item_width)
    return {"left": 0, "center": free // 2, "right": free}[align]
