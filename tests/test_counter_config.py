"""The counter terminal's configuration: [counter] in kiosk.toml, rating.toml, officers.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import paths
from kiosk.config import ConfigError, load_config, verify_pin
from tests.support.device import SMALL_CATALOGUE, write_override


def test_shipped_counter_configuration(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    counter = config.counter
    assert (counter.number, counter.rating_seconds, counter.instant_press_ms) == (1, 30, 700)
    assert counter.fields == tuple(f.id for f in config.catalogue.fields)  # [] = every field
    assert config.counter_sources == (
        paths.SHIPPED_CONFIG_DIR / "rating.toml",
        paths.SHIPPED_CONFIG_DIR / "officers.toml",
    )
    rating = config.rating
    assert rating.citizen_scale.levels == 3
    assert rating.citizen_scale.labels_vi == ("Rất hài lòng", "Hài lòng", "Không hài lòng")
    assert rating.citizen_scale.negative == {3}
    assert rating.question("vi") == (
        "Ông/Bà đánh giá như thế nào về thái độ công chức khi tiếp nhận và hướng dẫn giải"
        " quyết hồ sơ?"
    )
    assert rating.question("en").startswith("How would you rate")
    assert [r.vi for r in rating.reasons] == [
        "Thái độ chưa niềm nở",
        "Hướng dẫn chưa rõ ràng",
        "Chờ lâu",
        "Phải đi lại nhiều lần",
        "Yêu cầu giấy tờ ngoài quy định",
        "Lý do khác",
    ]
    assert [o.vi for o in rating.outcomes] == [
        "Hồ sơ đầy đủ – đã tiếp nhận",
        "Hồ sơ cần bổ sung – đã hướng dẫn",
        "Từ chối tiếp nhận",
        "Tư vấn, hướng dẫn",
        "Công dân không có mặt",
    ]
    assert rating.no_show.vi == "Công dân không có mặt"
    assert rating.outcome("tu-van").text("en") == "Advice and guidance"
    assert (rating.officer_scale.levels, len(rating.officer_criteria)) == (3, 1)
    demo = {o.id: o for o in config.officers}
    assert verify_pin("1111", demo["demo-an"].pin_hash)
    assert verify_pin("2222", demo["demo-binh"].pin_hash)
    assert demo["demo-an"].badge and config.officer("nobody") is None


def test_five_levels_and_site_lists(tmp_path: Path) -> None:
    folder = write_override(
        tmp_path / "etc",
        kiosk='[counter]\nnumber = 12\nfields = ["cu-tru", "ho-tich"]\n',
    )
    (folder / "rating.toml").write_text(
        '[citizen]\nscale = 5\n\n[[reasons]]\nid = "cho-lau"\nvi = "Chờ lâu"\nen = "Long wait"\n',
        encoding="utf-8",
    )
    (folder / "officers.toml").write_text(
        '[[officers]]\nid = "nguyen-a"\nname = "Nguyễn A"\ntitle = "Công chức"\n'
        'pin_hash = "scrypt$16384$8$1$00000000000000000000000000000000$'
        + "00" * 32
        + '"\nbadge = false\n',
        encoding="utf-8",
    )
    config = load_config(folder)
    assert (config.counter.number, config.counter.fields) == (12, ("cu-tru", "ho-tich"))
    scale = config.rating.citizen_scale
    assert scale.levels == 5 and scale.negative == {4, 5}
    assert scale.label(3, "vi") == "Bình thường" and scale.label(5, "en") == "Very dissatisfied"
    assert [r.id for r in config.rating.reasons] == ["cho-lau"]
    assert len(config.rating.outcomes) == 5  # not overridden: shipped
    assert [(o.id, o.badge) for o in config.officers] == [("nguyen-a", False)]
    assert config.counter_sources[1::2] == (folder / "rating.toml", folder / "officers.toml")


COUNTER_ERRORS = [
    ("number = 0", "[counter] number = 0 — must be a whole number from 1 to 999"),
    (
        'fields = ["ho-tich", "nope"]',
        "[counter] fields = (a list) — must be a list of field ids of catalogue.toml ([] = every"
        ' field), each once: "ho-tich", "chung-thuc",',
    ),
    ('fields = ["ho-tich", "ho-tich"]', "each once"),
    ("rating_seconds = 2", "[counter] rating_seconds = 2 — must be a whole number of seconds"),
    ("instant_press_ms = 0.5", "instant_press_ms = 0.5 — must be a whole number of milliseconds"),
    ("top_burst_count = 1", "top_burst_count = 1 — must be a whole number from 2 to 1000"),
    ("signin_lock = 5", "[counter] signin_lock — unknown key; allowed: number, fields,"),
]


@pytest.mark.parametrize(("line", "expected"), COUNTER_ERRORS)
def test_bad_counter_values(tmp_path: Path, line: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc", kiosk=f"[counter]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value).startswith(f"{folder / 'kiosk.toml'}: ")
    assert expected in str(caught.value)


def test_counter_fields_are_checked_against_the_sites_catalogue(tmp_path: Path) -> None:
    folder = write_override(
        tmp_path / "etc", kiosk='[counter]\nfields = ["ho-tich"]\n', catalogue=SMALL_CATALOGUE
    )
    with pytest.raises(ConfigError, match='each once: "alpha", "beta"'):
        load_config(folder)


RATING_ERRORS = [
    ("[citizen]\nscale = 4\n", "[citizen] scale = 4 — must be one of 3, 5"),
    (
        '[scale_3]\nlabels_vi = ["Tốt", "Xấu"]\n',
        "[scale_3] labels_vi = (a list) — must be a list of 3 non-empty texts",
    ),
    (
        "[scale_5]\nnegative = [2, 5]\n",
        "[scale_5] negative = (a list) — must be a list of distinct whole numbers from 3 to 5",
    ),
    ("[scale_3]\nnegative = []\n", "at least one"),
    ('[citizen]\nquestion_vi = " "\n', '[citizen] question_vi = " " — must be non-empty text'),
    (
        '[[reasons]]\nid = "Chờ lâu"\nvi = "Chờ lâu"\nen = "Wait"\n',
        '[[reasons]] #1 (id "Chờ lâu") id = "Chờ lâu" — must be 1 to 64 characters',
    ),
    (
        '[[outcomes]]\nid = "a"\nvi = "A"\nen = "A"\n',
        "[[outcomes]] no_show — exactly one outcome must be the no-show (no_show = true);"
        " found none",
    ),
    (
        '[[outcomes]]\nid = "a"\nvi = "A"\nen = "A"\nno_show = true\n\n'
        '[[outcomes]]\nid = "b"\nvi = "B"\nen = "B"\nno_show = true\n',
        'found "a", "b"',
    ),
    (
        '[[outcomes]]\nid = "a"\nvi = "A"\nen = "A"\nno_show = "yes"\n',
        '[[outcomes]] #1 (id "a") no_show = "yes" — must be true or false',
    ),
    ("[officer_rating]\nscale = 6\n", "[officer_rating] scale = 6 — must be a whole number of"),
    (
        '[[officer_criteria]]\nid = "x"\nvi = "X"\nen = "X"\n\n'
        '[[officer_criteria]]\nid = "x"\nvi = "Y"\nen = "Y"\n',
        '[[officer_criteria]] #2 (id "x") id = "x" — must be unique',
    ),
    ("[thanks]\nseconds = 5\n", "thanks — unknown table or key; allowed: citizen, scale_3,"),
]


@pytest.mark.parametrize(("rating", "expected"), RATING_ERRORS)
def test_bad_rating_files(tmp_path: Path, rating: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc")
    (folder / "rating.toml").write_text(rating, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value).startswith(f"{folder / 'rating.toml'}: ")
    assert expected in str(caught.value)


def officer(**changes: str) -> str:
    values = {
        "id": '"an"',
        "name": '"Nguyễn An"',
        "title": '"Công chức tiếp nhận"',
        "pin_hash": '"scrypt$16384$8$1$' + "00" * 16 + "$" + "00" * 32 + '"',
    }
    values.update(changes)
    return "[[officers]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v != "-")


OFFICER_ERRORS = [
    (officer(id='"An Nguyen"'), '[[officers]] #1 (id "An Nguyen") id = "An Nguyen" — must be'),
    (officer() + officer(), '[[officers]] #2 (id "an") id = "an" — must be unique'),
    (officer(pin_hash='"1111"'), '(id "an") pin_hash — must be "scrypt$N$r$p$salt$hash"'),
    (officer(title="-"), '[[officers]] #1 (id "an") title is missing'),
    (officer(badge="1"), "badge = 1 — must be true or false"),
    (officer(photo='"a.png"'), "photo — unknown key; allowed: id, name, title, pin_hash, badge"),
    ("officers = []\n", "officers = (a list) — must be one or more [[officers]] tables"),
]


@pytest.mark.parametrize(("officers", "expected"), OFFICER_ERRORS)
def test_bad_officer_files(tmp_path: Path, officers: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc")
    (folder / "officers.toml").write_text(officers, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value).startswith(f"{folder / 'officers.toml'}: ")
    assert expected in str(caught.value)
    assert "00" * 16 not in str(caught.value)  # a PIN hash is never repeated in a message
