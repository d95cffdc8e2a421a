"""What is on a printed ticket: the ESC/POS a printer received, read back as the text it prints in
its own font and the commands around it, and the printed PNG searched for lines drawn with the
bundled font (pixel for pixel, as the encoder rasterised them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from pyzbar.pyzbar import decode

from devices import raster
from devices.printer import EscPosPrinter
from devices.printjob import Align, PrintJob
from devices.profiles import PrinterProfile
from devices.virtual_printer import VirtualPrinter

ESC, GS, DLE = 0x1B, 0x1D, 0x10
# Commands with a fixed length: (prefix, code) -> total bytes.
_FIXED = {
    (ESC, ord("a")): 3,
    (ESC, ord("E")): 3,
    (ESC, ord("t")): 3,
    (ESC, ord("d")): 3,
    (ESC, ord(" ")): 3,  # ESC SP n: character spacing (never sent; found if it is)
    (ESC, ord("!")): 3,
    (GS, ord("!")): 3,
    (GS, ord("V")): 4,
    (DLE, 0x04): 3,
}


@dataclass
class Stream:
    """An ESC/POS stream taken apart: `lines` of native text (bytes, one per LF), `commands`
    (every command's bytes, raster and QR data left out), `rasters` (rows of each GS v 0 image)
    and `qr` (each QR payload stored)."""

    lines: list[bytes] = field(default_factory=list)
    commands: list[bytes] = field(default_factory=list)
    rasters: list[int] = field(default_factory=list)
    qr: list[bytes] = field(default_factory=list)

    def sizes(self) -> set[int]:
        """The GS ! magnifications used (as the command's byte n)."""
        return {c[2] for c in self.commands if c[:2] == b"\x1d!"}


def read_jobs(data: bytes) -> list[Stream]:
    """The jobs in an ESC/POS stream (each begins with ESC @), taken apart; status requests
    and the driver's resynchronisations (NUL padding, then ESC @) between them are skipped."""
    jobs: list[Stream] = []
    out = Stream()
    line = bytearray()
    pos = 0
    while pos < len(data):
        byte = data[pos]
        if byte == 0x0A:
            out.lines.append(bytes(line))
            line.clear()
            pos += 1
        elif byte >= 0x20:
            line.append(byte)
            pos += 1
        elif byte == 0x00:  # a resynchronisation: its padding and its ESC @ start no job
            while pos < len(data) and data[pos] == 0x00:
                pos += 1
            if data[pos : pos + 2] == b"\x1b@":
                pos += 2
        elif data[pos : pos + 2] == b"\x1b@":
            out = Stream()
            jobs.append(out)
            out.commands.append(b"\x1b@")
            pos += 2
        elif data[pos : pos + 3] == b"\x1dv0":
            width = int.from_bytes(data[pos + 4 : pos + 6], "little")
            rows = int.from_bytes(data[pos + 6 : pos + 8], "little")
            out.commands.append(data[pos : pos + 8])
            out.rasters.append(rows)
            pos += 8 + width * rows
        elif data[pos : pos + 3] == b"\x1d(k":
            length = 5 + int.from_bytes(data[pos + 3 : pos + 5], "little")
            command = data[pos : pos + length]
            if command[5:8] == b"1P0":  # cn 49, fn 80 (store), m 48: the payload follows
                out.qr.append(command[8:])
                command = command[:8]
            out.commands.append(command)
            pos += length
        else:
            length = _FIXED.get((byte, data[pos + 1] if pos + 1 < len(data) else -1))
            if length is None:
                raise AssertionError(
                    f"unexpected byte {byte:#04x} at {pos}: {data[pos : pos + 8]!r}"
                )
            if byte != DLE:
                out.commands.append(data[pos : pos + length])
            pos += length
    if line:
        out.lines.append(bytes(line))
    return jobs


def print_on_twin(
    folder: Path, profile: PrinterProfile, *jobs: PrintJob
) -> tuple[bytes, list[Image.Image]]:
    """Print `jobs` through the real driver on a virtual printer: the bytes it received (status
    requests and all) and each page it printed (grey scale)."""
    twin = VirtualPrinter(folder, width_dots=profile.width_dots)
    twin.start()
    try:
        driver = EscPosPrinter(twin.device_path, profile, status_timeout=2.0)
        try:
            for job in jobs:
                driver.print_job(job)
        finally:
            driver.stop()
        assert twin.wait_for_pages(len(jobs), timeout=10)
        return bytes(twin.received), [Image.open(page).convert("L") for page in twin.pages]
    finally:
        twin.stop()


def qr_texts(page: Image.Image) -> list[str]:
    return [symbol.data.decode() for symbol in decode(page)]


def shows_line(
    page: Image.Image,
    text: str,
    profile: PrinterProfile,
    *,
    size: int = 1,
    bold: bool = False,
    align: Align = "center",
) -> bool:
    """Whether `page` holds `text` drawn with the bundled font exactly as the encoder rasterises
    it for `profile` (every wrapped line of it, at its alignment)."""
    font = profile.font_bold if bold else profile.font_regular
    height = profile.font_px * min(size, profile.big_number_scale)
    return all(
        _find(page, image, align)
        for image in raster.text_images(text, font, height, profile.width_dots)
    )


def _find(page: Image.Image, image: Image.Image, align: Align) -> bool:
    width = (image.width + 7) // 8 * 8  # GS v 0 rows are whole bytes
    padded = Image.new("1", (width, image.height), 0)
    padded.paste(image, (0, 0))
    # On paper: black (0) where the mask has ink, white elsewhere.
    expected = padded.point(lambda v: 0 if v else 255, mode="L").tobytes()
    free = max(0, page.width - width)
    x = {"left": 0, "center": free // 2, "right": free}[align]
    return any(
        page.crop((x, y, x + width, y + image.height)).tobytes() == expected
        for y in range(page.height - image.height + 1)
    )
