"""A virtual ESC/POS printer on a pseudo-terminal: the twin of a real thermal printer.

The driver opens `device_path` exactly as it opens /dev/ttyUSB0. The twin interprets the ESC/POS
it receives, renders each cut page to a PNG, answers DLE EOT status requests from its switches
(paper out, cover open...), and can be made offline, stalled or slow (paced to a baud rate).

Run it alone for the demo: `python -m devices.virtual_printer --out DIR [--baud N] [--width 576]`.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import select
import signal
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw

from devices import escpos_commands as cmd
from devices.pty_pair import open_pty_pair
from devices.raster import line_font, qr_image

log = logging.getLogger("devices.virtual_printer")

FONTS_DIR = Path(__file__).resolve().parent.parent / "config" / "fonts"
CELL_WIDTH = 12
CELL_HEIGHT = 24
LINE_GAP = cmd.LINE_DOTS - CELL_HEIGHT
LINE_IDLE_GAP = (
    0.005  # seconds: bytes arriving later than this after the last ones found the line idle
)

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_CODEPAGES = {0: "cp437", 16: "cp1252", 52: "cp1258"}
_ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_ERROR_CORRECTION = {
    48: qrcode.ERROR_CORRECT_L,
    49: qrcode.ERROR_CORRECT_M,
    50: qrcode.ERROR_CORRECT_Q,
    51: qrcode.ERROR_CORRECT_H,
}
# Commands the twin accepts without rendering anything: their total length in bytes.
_ESC_SKIP = {
    **dict.fromkeys(b"2LS\x0c", 2),
    **dict.fromkeys(b"3-GMRV{ =rU%?Te", 3),
    **dict.fromkeys(b"$\\cB", 4),
    ord("p"): 5,
}
_GS_SKIP = {
    **dict.fromkeys(b":", 2),
    **dict.fromkeys(b"BHhwfarIbE/", 3),
    **dict.fromkeys(b"LWP$\\", 4),
}


class _CellFont:
    """Glyphs in 12x24 dot cells, like a printer's Font A, drawn with a TrueType font."""

    def __init__(self, path: Path) -> None:
        self._font = line_font(path, CELL_HEIGHT)
        self._glyphs: dict[str, Image.Image] = {}

    def glyph(self, char: str) -> Image.Image:
        """An ink mask (mode "L", 255 = black) of one character cell."""
        if char not in self._glyphs:
            self._glyphs[char] = self._render(char)
        return self._glyphs[char]

    def _render(self, char: str) -> Image.Image:
        advance = self._font.font.getlength(char)
        width = max(CELL_WIDTH, math.ceil(advance))
        cell = Image.new("L", (width, CELL_HEIGHT), 0)
        ImageDraw.Draw(cell).text(
            ((width - advance) / 2, self._font.baseline_offset),
            char,
            font=self._font.font,
            fill=255,
            anchor="la",
        )
        # Wide letters (M, W) are squeezed into the cell, as a printer's fixed-pitch font does.
        return cell.resize((CELL_WIDTH, CELL_HEIGHT), Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class _Style:
    codepage: str
    bold: bool
    width: int
    height: int


class _Page:
    """A white roll of paper `width` dots wide that grows downward as it is printed on."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.y = 0
        self._image = Image.new("L", (width, 0), 255)

    def draw(self, mask: Image.Image, align: str) -> None:
        """Print an ink mask at the current line, aligned, and advance past it."""
        mask = mask.crop((0, 0, min(mask.width, self.width), mask.height))
        free = self.width - mask.width
        x = {"left": 0, "center": free // 2, "right": free}[align]
        self._grow(self.y + mask.height)
        self._image.paste(0, (x, self.y, x + mask.width, self.y + mask.height), mask)
        self.y += mask.height

    def advance(self, dots: int) -> None:
        self._grow(self.y + dots)
        self.y += dots

    def take(self) -> Image.Image | None:
        """The printed part, black on white in 1 bit (None if nothing was fed); starts a fresh
        page."""
        page = None
        if self.y:
            gray = self._image.crop((0, 0, self.width, self.y))
            page = gray.point(lambda v: 255 if v >= 128 else 0, mode="1")
        self.y = 0
        self._image = Image.new("L", (self.width, 0), 255)
        return page

    def _grow(self, height: int) -> None:
        if height > self._image.height:
            bigger = Image.new("L", (self.width, max(height, 2 * self._image.height, 512)), 255)
            bigger.paste(self._image, (0, 0))
            self._image = bigger


class _Interpreter:
    """Parses an ESC/POS byte stream incrementally and prints it onto pages."""

    def __init__(
        self,
        width: int,
        fonts: tuple[_CellFont, _CellFont],
        *,
        answer: Callable[[int], None],
        status: Callable[[int], int],
        can_print: Callable[[], bool],
        on_cut: Callable[[Image.Image], None],
    ) -> None:
        self._fonts = fonts
        self._answer = answer
        self._status = status
        self._can_print = can_print
        self._on_cut = on_cut
        self._page = _Page(width)
        self._buffer = bytearray()
        self._reset()

    def power_cycle(self) -> None:
        """Forget the partly received command, the modes and the page being printed."""
        self._buffer.clear()
        self._page.take()
        self._reset()

    def _reset(self) -> None:
        self._align = "left"
        self._style = _Style("cp437", False, 1, 1)
        self._line: list[tuple[_Style, bytearray]] = []
        self._qr_data: bytes | None = None
        self._qr_module = 3
        self._qr_error_correction = qrcode.ERROR_CORRECT_L

    def feed(self, data: bytes) -> None:
        self._buffer += data
        pos = 0
        while pos < len(self._buffer):
            used = self._step(pos)
            if not used:
                break  # an incomplete command: wait for the rest
            pos += used
        del self._buffer[:pos]

    def _step(self, pos: int) -> int:
        buf = self._buffer
        byte = buf[pos]
        if byte >= 0x20:
            end = pos + 1
            while end < len(buf) and buf[end] >= 0x20:
                end += 1
            self._text(buf[pos:end])
            return end - pos
        if byte == 0x0A:
            self._print_line(empty_feeds=True)
            return 1
        if byte not in (ESC, GS, FS, DLE):
            return 1  # CR, HT and other control bytes: nothing to print
        length = self._command_length(pos)
        if length is None or len(buf) - pos < length:
            return 0
        self._execute(bytes(buf[pos : pos + length]))
        return length

    def _command_length(self, pos: int) -> int | None:
        """Total length of the command at `pos`, or None until enough of it has arrived."""
        buf = self._buffer
        have = len(buf) - pos

        def at(i: int) -> int | None:
            return buf[pos + i] if i < have else None

        prefix, code = buf[pos], at(1)
        if code is None:
            return None
        if prefix == DLE:
            return 3 if code in (0x04, 0x05) else 2
        if prefix == FS:
            return 3 if code in b"!C" else 2
        if prefix == ESC:
            if code in b"@im":
                return 2
            if code in b"aE!tdJ":
                return 3
            if code in _ESC_SKIP:
                return _ESC_SKIP[code]
            if code == ord("*"):  # ESC * m nL nH: bit image, 1 or 3 bytes per column
                m, low, high = at(2), at(3), at(4)
                if high is None or m is None or low is None:
                    return None
                return 5 + (low + 256 * high) * (3 if m >= 32 else 1)
            if code == ord("D"):  # ESC D n1 ... NUL: tab stops
                end = buf.find(0, pos + 2)
                return None if end < 0 else end - pos + 1
        if prefix == GS:
            if code == ord("!"):
                return 3
            if code in _GS_SKIP:
                return _GS_SKIP[code]
            if code == ord("v"):  # GS v 0 m xL xH yL yH data
                if have < 8:
                    return None
                return 8 + (buf[pos + 4] + 256 * buf[pos + 5]) * (buf[pos + 6] + 256 * buf[pos + 7])
            if code == ord("("):  # GS ( fn pL pH data
                if have < 5:
                    return None
                return 5 + buf[pos + 3] + 256 * buf[pos + 4]
            if code == ord("V"):  # GS V m, or GS V m n for m >= 65
                m = at(2)
                return None if m is None else (4 if m >= 65 else 3)
            if code == ord("k"):  # GS k m: NUL-terminated data (m <= 6) or GS k m n data
                m = at(2)
                if m is None:
                    return None
                if m <= 6:
                    end = buf.find(0, pos + 3)
                    return None if end < 0 else end - pos + 1
                n = at(3)
                return None if n is None else 4 + n
            if code == ord("*"):  # GS * x y data: x*y*8 bytes
                x, y = at(2), at(3)
                return None if x is None or y is None else 4 + x * y * 8
        log.debug("unknown command %02x %02x skipped", prefix, code)
        return 2

    def _execute(self, command: bytes) -> None:
        prefix, code = command[0], command[1]
        if prefix == DLE and code == 0x04:
            self._answer(self._status(command[2]))
        elif prefix == ESC:
            self._esc(chr(code), command[2:])
        elif prefix == GS:
            self._gs(chr(code), command[2:])

    def _esc(self, code: str, args: bytes) -> None:
        style = self._style
        if code == "@":
            self._reset()
        elif code == "a":
            self._align = _ALIGNS.get(args[0], "left")
        elif code == "E":
            self._style = _Style(style.codepage, bool(args[0] & 1), style.width, style.height)
        elif code == "!":
            n = args[0]
            self._style = _Style(
                style.codepage, bool(n & 0x08), 2 if n & 0x20 else 1, 2 if n & 0x10 else 1
            )
        elif code == "t":
            if args[0] not in _CODEPAGES:
                log.debug("code page %d not emulated, using cp437", args[0])
            encoding = _CODEPAGES.get(args[0], "cp437")
            self._style = _Style(encoding, style.bold, style.width, style.height)
        elif code == "d":
            self._print_line(empty_feeds=False)
            self._advance(args[0] * cmd.LINE_DOTS)
        elif code == "J":
            self._print_line(empty_feeds=False)
            self._advance(args[0])
        elif code in "im":
            self._cut()

    def _gs(self, code: str, args: bytes) -> None:
        style = self._style
        if code == "!":
            n = args[0]
            self._style = _Style(style.codepage, style.bold, (n >> 4 & 7) + 1, (n & 7) + 1)
        elif code == "v" and args[0] == ord("0"):
            self._raster(args[1], args[2] + 256 * args[3], args[4] + 256 * args[5], args[6:])
        elif code == "(" and args[0] == ord("k"):
            self._qr(args[3:])
        elif code == "V":
            self._print_line(empty_feeds=False)
            if args[0] >= 65:
                self._advance(args[1])
            self._cut()

    def _text(self, data: bytes) -> None:
        if self._line and self._line[-1][0] == self._style:
            self._line[-1][1].extend(data)
        else:
            self._line.append((self._style, bytearray(data)))

    def _print_line(self, *, empty_feeds: bool) -> None:
        """Print the buffered text (wrapping at the paper width); an empty buffer feeds one
        line only for LF."""
        cells = [
            (char, style)
            for style, data in self._line
            for char in unicodedata.normalize("NFC", data.decode(style.codepage, "replace"))
        ]
        self._line = []
        if not cells:
            if empty_feeds:
                self._advance(cmd.LINE_DOTS)
            return
        row: list[tuple[str, _Style]] = []
        for cell in cells:
            if (
                sum(CELL_WIDTH * s.width for _, s in row) + CELL_WIDTH * cell[1].width
                > self._page.width
            ):
                self._print_row(row)
                row = []
            row.append(cell)
        self._print_row(row)

    def _print_row(self, row: list[tuple[str, _Style]]) -> None:
        height = max(CELL_HEIGHT * style.height for _, style in row)
        mask = Image.new("L", (sum(CELL_WIDTH * style.width for _, style in row), height), 0)
        x = 0
        for char, style in row:
            glyph = self._fonts[style.bold].glyph(char)
            size = (CELL_WIDTH * style.width, CELL_HEIGHT * style.height)
            mask.paste(glyph.resize(size, Image.Resampling.NEAREST), (x, height - size[1]))
            x += size[0]
        self._draw(mask)
        self._advance(LINE_GAP)

    def _raster(self, scale: int, width_bytes: int, rows: int, data: bytes) -> None:
        self._print_line(empty_feeds=False)
        if not (width_bytes and rows):
            return
        mask = Image.frombytes("1", (width_bytes * 8, rows), data)
        if scale & 3:
            factor_x, factor_y = (2 if scale & 1 else 1), (2 if scale & 2 else 1)
            mask = mask.resize((mask.width * factor_x, mask.height * factor_y))
        self._draw(mask)

    def _qr(self, args: bytes) -> None:
        """GS ( k for cn = 49 (QR); `args` starts at cn."""
        if len(args) < 2 or args[0] != 49:
            log.debug("GS ( k symbol type %s not emulated", args[:1].hex())
            return
        function, params = args[1], args[2:]
        if function == 67 and params:
            self._qr_module = max(1, min(16, params[0]))
        elif function == 69 and params:
            self._qr_error_correction = _QR_ERROR_CORRECTION.get(params[0], qrcode.ERROR_CORRECT_L)
        elif function == 80 and params:
            self._qr_data = bytes(params[1:])
        elif function == 81 and self._qr_data:
            self._print_line(empty_feeds=False)
            self._draw(qr_image(self._qr_data, self._qr_module, self._qr_error_correction))

    def _draw(self, mask: Image.Image) -> None:
        if self._can_print():
            self._page.draw(mask, self._align)

    def _advance(self, dots: int) -> None:
        if self._can_print():
            self._page.advance(dots)

    def _cut(self) -> None:
        page = self._page.take()
        if page is not None and self._can_print():
            self._on_cut(page)


class VirtualPrinter:
    """A virtual ESC/POS printer on a pty. Switches may be flipped at any time from any thread.

    - `paper_out`, `cover_open`: status answers say so and nothing is printed;
      `paper_near_end`: status says so, printing goes on.
    - `offline`: no status answers; data received is discarded.
    - `stalled`: the pty is not read at all, so the writer's buffer fills and its writes time out.
    Clearing `offline` or `stalled` acts like a power cycle: the partly received command and the
    bytes waiting in the port are dropped, so the next job starts clean.
    `cut_host_power()` is the other side losing power mid-job: the bytes still on their way are
    lost, and the printer, which kept its power, stays in the command it was receiving (a raster
    image goes on taking whatever comes next as its data, as a real printer does).

    `received` logs every byte read from the port (including discarded ones); `last_byte_at` is
    the time.monotonic() at which the last byte was consumed (after pacing).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        width_dots: int = 576,
        baud: int | None = None,
        font: Path | None = None,
    ) -> None:
        """`baud` paces reading to that line speed so the writer sees real back-pressure.
        `font` replaces Roboto for regular and bold text alike."""
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.baud = baud
        self._line_free_at = 0.0
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self._offline = False
        self._stalled = False
        self.pages: list[Path] = []
        self.received = bytearray()
        self.last_byte_at: float | None = None
        self.on_page: Callable[[Path], None] | None = None
        self._pty = open_pty_pair()
        # A symlink, removed at stop as udev removes a node: a bare /dev/pts/N is handed to the
        # next pty opened on the machine, so a driver still retrying it could take another
        # program's port.
        link = self.out_dir / f"port-{Path(self._pty.slave_path).name}"
        link.unlink(missing_ok=True)
        link.symlink_to(self._pty.slave_path)
        self.device_path = str(link)
        fonts = (
            _CellFont(font or FONTS_DIR / "Roboto-Regular.ttf"),
            _CellFont(font or FONTS_DIR / "Roboto-Bold.ttf"),
        )
        self._interpreter = _Interpreter(
            width_dots,
            fonts,
            answer=self._answer,
            status=self._status,
            can_print=lambda: not (self.paper_out or self.cover_open),
            on_cut=self._save_page,
        )
        self._changed = threading.Condition()
        # Held while a chunk is read and interpreted, and while the twin resyncs.
        self._io_lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def offline(self) -> bool:
        return self._offline

    @offline.setter
    def offline(self, value: bool) -> None:
        with self._io_lock:
            if self._offline and not value:
                self._power_cycle()
            self._offline = value

    @property
    def stalled(self) -> bool:
        return self._stalled

    @stalled.setter
    def stalled(self, value: bool) -> None:
        with self._io_lock:
            if self._stalled and not value:
                self._power_cycle()
            self._stalled = value

    def cut_host_power(self) -> None:
        """The bytes written to the port but not yet received never arrive (see the class)."""
        with self._io_lock:
            self._drop_waiting()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="virtual-printer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and close the pty: a driver holding the port sees it vanish (EIO)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        Path(self.device_path).unlink(missing_ok=True)
        self._pty.close()

    def wait_for_pages(self, n: int, timeout: float) -> bool:
        """Wait until at least `n` pages were cut; False if that did not happen in time."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.pages) >= n, timeout)

    def _run(self) -> None:
        fd = self._pty.master_fd
        # Paced: read about 20 ms of line time at once, then wait for it to "arrive".
        chunk = 4096 if self.baud is None else max(1, min(4096, self.baud // 500))
        while not self._stop.is_set():
            if self._stalled:
                self._stop.wait(0.02)
                continue
            readable, _, _ = select.select([fd], [], [], 0.05)
            if readable:
                with self._io_lock:
                    self._take(fd, chunk)

    def _take(self, fd: int, size: int) -> None:
        """Read and interpret one chunk (unless stalled or offline meanwhile)."""
        if self._stalled:
            return
        try:
            data = os.read(fd, size)
        except BlockingIOError:
            return
        if self.baud:
            self._pace(len(data))
        with self._changed:
            self.received += data
            self.last_byte_at = time.monotonic()
        if self._offline:
            return
        try:
            self._interpreter.feed(data)
        except Exception:
            # Garbage must not kill the twin: a real printer would print junk and go on.
            log.exception("virtual printer could not interpret the data received")

    def _pace(self, size: int) -> None:
        """Wait until `size` bytes have crossed a serial line at `baud` (10 bits a byte).

        The line is modelled as a clock: when bytes were already waiting (we woke up late), they
        started crossing when the previous ones were through, so a late wake-up of this thread
        does not add up over a job the way repeated sleeps of the chunk time would.
        """
        now = time.monotonic()
        start = self._line_free_at if now - self._line_free_at < LINE_IDLE_GAP else now
        self._line_free_at = start + size * 10 / self.baud
        delay = self._line_free_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _power_cycle(self) -> None:
        """Back from stalled or offline, like a printer switched off and on again: drop the
        command it was in the middle of and the bytes waiting in the port."""
        self._interpreter.power_cycle()
        self._drop_waiting()

    def _drop_waiting(self) -> None:
        """Read and discard what waits in the port (logged in `received`, never interpreted),
        until it has been quiet for LINE_IDLE_GAP: the kernel hands a pty's bytes over a few
        kilobytes at a time, so an empty read alone does not mean nothing more is waiting."""
        fd = self._pty.master_fd
        while select.select([fd], [], [], LINE_IDLE_GAP)[0]:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not data:
                return
            with self._changed:
                self.received += data

    def _status(self, n: int) -> int:
        """The DLE EOT n answer for the current switches (fixed bits 1 and 4 set)."""
        stopped = self.paper_out or self.cover_open
        if n == 1:
            return 0x12 | (0x08 if stopped else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 4:
            near_end = self.paper_near_end or self.paper_out
            return 0x12 | (0x0C if near_end else 0) | (0x60 if self.paper_out else 0)
        return 0x12

    def _answer(self, byte: int) -> None:
        try:
            os.write(self._pty.master_fd, bytes([byte]))
        except BlockingIOError:
            log.debug("status answer dropped: nobody reads the port")

    def _save_page(self, page: Image.Image) -> None:
        path = self.out_dir / f"page-{len(self.pages) + 1:04d}.png"
        page.save(path)
        with self._changed:
            self.pages.append(path)
            self._changed.notify_all()
        if self.on_page is not None:
            self.on_page(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devices.virtual_printer",
        description="Run a virtual ESC/POS printer on a pseudo-terminal; pages go to PNG files.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for page-NNNN.png")
    parser.add_argument("--baud", type=int, help="pace reading to this line speed")
    parser.add_argument("--width", type=int, default=576, help="printable width in dots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    printer = VirtualPrinter(args.out, width_dots=args.width, baud=args.baud)
    printer.on_page = lambda path: print(
        f"printed {path} received={len(printer.received)} last_byte_at={printer.last_byte_at:.6f}",
        flush=True,
    )
    printer.start()
    print(printer.device_path, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()


if __name__ == "__main__":
    main()
