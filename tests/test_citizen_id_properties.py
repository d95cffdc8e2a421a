"""Whatever a scanner delivers, the parser answers with a card or its own rejection, never a crash,
and never accepts garbled text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.citizen_id import TEXT_REPAIRED, CitizenID, InvalidCitizenQR, parse
from kiosk.citizen_id_text import VIETNAMESE_LETTERS, is_card_text
from tests.test_citizen_id import TODAY, VALID, shared_samples, with_field

CARDS = [
    sample.payload.decode() for sample in shared_samples() if sample.expect in ("ok", "warn")
] + [VALID]

PAYLOAD_CHARS = st.sampled_from("0123456789|\r\n ") | st.characters()
FIELD_VALUES = (
    st.text(st.sampled_from("0123456789"), max_size=14)
    | st.text(PAYLOAD_CHARS, max_size=40)
    | st.sampled_from([field for card in CARDS for field in card.split("|")])
)


def parsed_or_rejected(payload: bytes | str) -> CitizenID | None:
    try:
        card = parse(payload, today=TODAY)
    except InvalidCitizenQR as error:
        assert error.code and error.reason
        return None
    assert all(is_card_text(text) for text in (card.name, card.address, *card.extra))
    assert len(card.id) == 12 and card.sex in ("M", "F")
    return card


@given(st.binary(max_size=700))
def test_any_bytes_parse_or_are_rejected(payload: bytes) -> None:
    parsed_or_rejected(payload)


@given(st.text(PAYLOAD_CHARS, max_size=700))
def test_any_text_parses_or_is_rejected(payload: str) -> None:
    parsed_or_rejected(payload)


@given(st.data())
def test_cards_with_mutated_fields_parse_or_are_rejected(data: st.DataObject) -> None:
    fields = data.draw(st.sampled_from(CARDS)).split("|")
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(fields)))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "insert":
            fields.insert(index, data.draw(FIELD_VALUES))
        elif index < len(fields):
            if action == "replace":
                fields[index] = data.draw(FIELD_VALUES)
            else:
                del fields[index]
    payload = "|".join(fields)
    raw = payload.encode("utf-8", errors="surrogatepass")  # a lone surrogate: invalid UTF-8
    parsed_or_rejected(payload)
    parsed_or_rejected(raw)
    parsed_or_rejected(raw.decode("latin-1"))


@given(st.text(st.sampled_from(VIETNAMESE_LETTERS + "abcdeghiklmnopqrstuvxy "), max_size=40))
def test_any_name_garbled_through_latin_1_is_repaired_exactly_or_rejected(name: str) -> None:
    payload = with_field(2, name)
    card = parsed_or_rejected(payload)
    repaired = parsed_or_rejected(payload.encode().decode("latin-1"))
    assert (repaired is None) == (card is None)
    if card is not None and repaired is not None:
        assert repaired.as_dict() == {**card.as_dict(), "warnings": [TEXT_REPAIRED]}
