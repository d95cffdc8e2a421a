"""Keyboard-wedge mode: a fast burst of keys ending in Enter is a scan; a person typing is not."""

from __future__ import annotations

from devices.keyboard_wedge import KeyboardWedge

TICKET_QR = "VNQ1|00637|20260527|A1023|3f9c2a"


def type_keys(
    wedge: KeyboardWedge, text: str, *, start: float = 100.0, gap: float = 0.004
) -> list[str]:
    """Each character then Enter, `gap` seconds apart; the lines the wedge returned."""
    events = [*text, "\n"]
    results = [wedge.key(key, start + i * gap) for i, key in enumerate(events)]
    return [line for line in results if line is not None]


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    assert type_keys(KeyboardWedge(), TICKET_QR) == [TICKET_QR]


def test_carriage_return_also_ends_a_scan() -> None:
    wedge = KeyboardWedge()
    for i, key in enumerate(TICKET_QR):
        assert wedge.key(key, i * 0.004) is None
    assert wedge.key("\r", len(TICKET_QR) * 0.004) == TICKET_QR


def test_a_person_typing_the_same_keys_is_no_scan() -> None:
    assert type_keys(KeyboardWedge(), TICKET_QR, gap=0.15) == []


def test_keys_typed_before_a_pause_are_not_glued_to_the_scan() -> None:
    wedge = KeyboardWedge()
    assert type_keys(wedge, "ab", gap=0.2) == []  # typed slowly, with Enter
    for i, key in enumerate("xyz"):
        wedge.key(key, 200.0 + i * 0.3)  # typed slowly, no Enter
    assert type_keys(wedge, TICKET_QR, start=201.0) == [TICKET_QR]


def test_a_short_fast_burst_is_no_scan() -> None:
    assert type_keys(KeyboardWedge(min_length=16), "12345") == []


def test_a_pause_inside_the_burst_breaks_it() -> None:
    wedge = KeyboardWedge(max_gap_s=0.05, min_length=20)
    half = len(TICKET_QR) // 2
    for i, key in enumerate(TICKET_QR[:half]):
        wedge.key(key, i * 0.004)
    assert type_keys(wedge, TICKET_QR[half:], start=1.0) == []


def test_the_same_code_again_within_the_debounce_time_is_dropped() -> None:
    wedge = KeyboardWedge(debounce_s=2.0)
    assert type_keys(wedge, TICKET_QR, start=10.0) == [TICKET_QR]
    assert type_keys(wedge, TICKET_QR, start=11.0) == []
    assert type_keys(wedge, TICKET_QR, start=20.0) == [TICKET_QR]


def test_a_burst_longer_than_max_line_is_dropped_whole() -> None:
    wedge = KeyboardWedge(max_line=20)
    assert type_keys(wedge, "x" * 25) == []
    assert type_keys(wedge, TICKET_QR[:20], start=200.0) == [TICKET_QR[:20]]
