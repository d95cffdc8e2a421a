"""A QR imager in keyboard-wedge mode: it "types" each code it reads, as a fast burst of keys
ended by Enter. This module tells such a burst from a person typing; the screens feed it the key
events (text and time) and receive each scanned line.

WARNING: a keyboard wedge cannot type Vietnamese reliably. The imager emulates a US keyboard:
letters with diacritics (ầ, ư, đ...) arrive dropped, replaced or garbled, depending on the host's
keyboard layout and input method, so most citizen ID cards are then rejected by the parser (at
best it can prove and undo the garbling). Set the imager to USB-serial (CDC) mode for ID cards;
the wedge is a fallback for ASCII codes such as the ticket's QR. The technician screen says so.

The rule: keys less than `max_gap_s` apart form a burst; a longer pause starts a new one, so
whatever a person typed before is dropped. Enter closes the burst; it is a scan when it holds at
least `min_length` characters (a person cannot type that many that fast). The same line again
within `debounce_s` is dropped, as in the serial driver.
"""

from __future__ import annotations

from devices.scanner import Debounce

ENTER = frozenset({"\r", "\n"})


class KeyboardWedge:
    """Turns key events into scanned lines. Not thread-safe: feed it from the UI thread."""

    def __init__(
        self,
        *,
        max_gap_s: float = 0.05,
        min_length: int = 16,
        max_line: int = 4096,
        debounce_s: float = 2.0,
    ) -> None:
        """`max_gap_s` allows for the UI loop handing over a frame's keys at once (60 fps is
        17 ms apart); `max_line` bounds a burst that never ends in Enter."""
        self._max_gap = max_gap_s
        self._min_length = min_length
        self._max_line = max_line
        self._debounce = Debounce(debounce_s)
        self._keys: list[str] = []
        self._too_long = False
        self._last_at: float | None = None

    def key(self, text: str, timestamp: float) -> str | None:
        """Feed one key: its text ("\\n" or "\\r" for Enter) and a monotonic time in seconds.

        Returns the scanned line when this Enter closes a scan, else None."""
        if self._last_at is not None and timestamp - self._last_at > self._max_gap:
            self._start_over()
        self._last_at = timestamp
        if text not in ENTER:
            self._keys.append(text)
            if len(self._keys) > self._max_line:
                self._keys.clear()  # held no longer: this burst is no scan
                self._too_long = True
            return None
        line = "".join(self._keys)
        too_long = self._too_long
        self._start_over()
        if too_long or len(line) < self._min_length:
            return None
        if not self._debounce.accept(line.encode("utf-8", errors="surrogatepass"), timestamp):
            return None
        return line

    def _start_over(self) -> None:
        self._keys.clear()
        self._too_long = False
