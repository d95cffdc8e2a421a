"""A virtual rating keypad on a pseudo-terminal: the twin of the USB keypad.

The driver opens `device_path` as it opens a real keypad's /dev/serial/by-id/… name: a link
to the current pty, removed when the twin is unplugged and made again (to a new pty) when it is
plugged back, as udev does for a real device.

Run it alone for the demo: `python -m devices.virtual_keypad`: it prints the device path, and
each line of input "1" to "5" is a press.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from devices.pty_pair import PtyPair, open_pty_pair

DEVICE_NAME = "rating-keypad"


class VirtualKeypad:
    """Starts plugged in. `line_end` follows each digit (a keypad may send CR LF)."""

    def __init__(self, folder: Path | None = None, *, line_end: bytes = b"") -> None:
        self._own_folder = folder is None
        self._folder = (
            Path(tempfile.mkdtemp(prefix="virtual-keypad-")) if folder is None else folder
        )
        self.device_path = str(self._folder / DEVICE_NAME)
        self._line_end = line_end
        self._pty: PtyPair | None = None
        self.plug()

    @property
    def plugged(self) -> bool:
        return self._pty is not None

    def plug(self) -> None:
        if self._pty is not None:
            return
        self._pty = open_pty_pair()
        link = Path(self.device_path)
        tmp = link.with_name(f".{link.name}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self._pty.slave_path)
        os.replace(tmp, link)

    def unplug(self) -> None:
        """Pull the cable: the name disappears and a driver holding the port sees it fail."""
        if self._pty is None:
            return
        Path(self.device_path).unlink(missing_ok=True)
        self._pty.close()
        self._pty = None

    def press(self, button: int) -> None:
        if not 1 <= button <= 9:
            raise ValueError("buttons are numbered 1 to 9")
        self.send(str(button).encode("ascii") + self._line_end)

    def send(self, data: bytes) -> None:
        """Raw bytes on the line (noise, a bad keypad)."""
        if self._pty is None:
            raise RuntimeError("the virtual keypad is unplugged")
        os.write(self._pty.master_fd, data)

    def close(self) -> None:
        self.unplug()
        if self._own_folder:
            shutil.rmtree(self._folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devices.virtual_keypad",
        description="Run a virtual rating keypad; each input line 1..5 is a press.",
    )
    parser.add_argument("--crlf", action="store_true", help="send CR LF after each digit")
    args = parser.parse_args(argv)
    keypad = VirtualKeypad(line_end=b"\r\n" if args.crlf else b"")
    print(keypad.device_path, flush=True)
    try:
        for line in sys.stdin:
            text = line.strip()
            if text in ("1", "2", "3", "4", "5"):
                keypad.press(int(text))
            elif text:
                print(f"ignored {text!r}: type a button number, 1 to 5", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        keypad.close()


if __name__ == "__main__":
    main()
