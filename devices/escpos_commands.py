"""ESC/POS command builders: pure functions returning the bytes of one command each.

Only the commands this project sends. Numbers follow the Epson ESC/POS reference; cheap
80 mm printers implement the same subset.
"""

from __future__ import annotations

from typing import Literal

ESC = b"\x1b"
GS = b"\x1d"
DLE = b"\x10"
EOT = b"\x04"

LINE_DOTS = 30
"""Paper advance of one empty line at the default line spacing (24-dot font + 6 dots)."""

QR_MAX_DATA = 7089
"""Largest payload GS ( k accepts for a QR code (numeric maximum of version 40)."""

_ALIGN = {"left": 0, "center": 1, "right": 2}


def initialize() -> bytes:
    """ESC @: reset modes (alignment, size, bold, code page) and clear the print buffer."""
    return ESC + b"@"


def resynchronise(padding: int) -> bytes:
    """`padding` NULs, then ESC @: whatever command a printer was cut off in is completed or
    flushed, then its modes and print buffer are reset.

    A printer in the middle of a command's data (a GS v 0 image expects its full size in bytes)
    takes the NULs as the rest of it (white dots, or an empty payload); a printer that is not
    ignores them (NUL is no command). The length must be at least the longest command the sender
    ever sends (devices.escpos_encoder.longest_command). Brother's raster command reference
    describes the same recovery: "invalidate" (NUL) for the appropriate number of bytes, then
    "initialize".
    """
    return bytes(padding) + initialize()


def align(where: Literal["left", "center", "right"]) -> bytes:
    """ESC a n: justify the following lines, text and raster images alike (0 left, 1 center,
    2 right). Effective at the start of a line."""
    return ESC + b"a" + bytes([_ALIGN[where]])


def bold(on: bool) -> bytes:
    """ESC E n: emphasised (bold) text on (1) or off (0)."""
    return ESC + b"E" + bytes([1 if on else 0])


def char_size(width: int, height: int) -> bytes:
    """GS ! n: character magnification, width and height each 1..8 (n = (w-1)<<4 | (h-1))."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"character magnification must be 1..8, got {width}x{height}")
    return GS + b"!" + bytes([(width - 1) << 4 | (height - 1)])


def codepage(n: int) -> bytes:
    """ESC t n: select character code table n (model specific; e.g. Epson 52 = WPC1258)."""
    return ESC + b"t" + bytes([n])


def line_feed() -> bytes:
    """LF: print the buffer and advance one line."""
    return b"\n"


def feed_lines(n: int) -> bytes:
    """ESC d n: print the buffer and feed n lines (0..255)."""
    return ESC + b"d" + bytes([n])


def raster_image(width_bytes: int, height: int, data: bytes) -> bytes:
    """GS v 0 m xL xH yL yH d1...dk: print a raster bit image, normal scale (m = 0).

    `data` is `height` rows of `width_bytes` bytes, most significant bit leftmost, 1 = black.
    """
    if len(data) != width_bytes * height:
        raise ValueError(f"raster data is {len(data)} bytes, expected {width_bytes}x{height}")
    if not (1 <= width_bytes <= 0xFFFF and 1 <= height <= 0xFFFF):
        raise ValueError(f"raster size out of range: {width_bytes} bytes x {height} rows")
    header = GS + b"v0" + bytes([0]) + width_bytes.to_bytes(2, "little")
    return header + height.to_bytes(2, "little") + data


def _qr(function: int, params: bytes) -> bytes:
    """GS ( k pL pH cn fn [params] with cn = 49 (QR code)."""
    return GS + b"(k" + (len(params) + 2).to_bytes(2, "little") + bytes([49, function]) + params


def qr_model_2() -> bytes:
    """GS ( k 4 0 49 65 50 0: select QR model 2."""
    return _qr(65, bytes([50, 0]))


def qr_module_size(dots: int) -> bytes:
    """GS ( k 3 0 49 67 n: QR module size in dots (1..16)."""
    if not 1 <= dots <= 16:
        raise ValueError(f"QR module size must be 1..16 dots, got {dots}")
    return _qr(67, bytes([dots]))


def qr_error_correction_m() -> bytes:
    """GS ( k 3 0 49 69 49: QR error correction level M (15 %)."""
    return _qr(69, bytes([49]))


def qr_store(data: bytes) -> bytes:
    """GS ( k pL pH 49 80 48 d1...dk: store the QR payload in the symbol storage area."""
    if not 1 <= len(data) <= QR_MAX_DATA:
        raise ValueError(f"QR payload must be 1..{QR_MAX_DATA} bytes, got {len(data)}")
    return _qr(80, bytes([48]) + data)


def qr_print() -> bytes:
    """GS ( k 3 0 49 81 48: print the stored QR symbol."""
    return _qr(81, bytes([48]))


def cut_after_feed(n: int = 0) -> bytes:
    """GS V 66 n: feed n motion units, then partial cut."""
    return GS + b"V" + bytes([66, n])


def status_request(n: int) -> bytes:
    """DLE EOT n: real-time status request; the printer answers one byte.

    n = 1 printer status, 2 off-line cause, 3 error cause, 4 roll paper sensor.
    """
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT status type must be 1..4, got {n}")
    return DLE + EOT + bytes([n])
