"""Configuration: shipped defaults, site overrides, and a plain message for every bad value."""

from __future__ import annotations

import logging
import unicodedata
from datetime import date, time
from pathlib import Path

import pytest

from kiosk import paths
from kiosk.config import ConfigError, hash_pin, load_config, verify_pin
from tests.support.device import SMALL_CATALOGUE, write_override


def test_shipped_configuration_loads(tmp_path: Path) -> None:
    config = load_config(tmp_path)  # an empty override folder: the shipped files alone
    assert config.sources == (
        paths.SHIPPED_CONFIG_DIR / "kiosk.toml",
        paths.SHIPPED_CONFIG_DIR / "catalogue.toml",
        paths.SHIPPED_CONFIG_DIR / "printers.toml",
        paths.SHIPPED_CONFIG_DIR / "rating.toml",
        paths.SHIPPED_CONFIG_DIR / "officers.toml",
    )
    assert config.office.code == "00637"
    assert config.office.code_list_date == date(2025, 7, 1)
    assert config.office.timezone.key == "Asia/Ho_Chi_Minh"
    assert (config.office.opens_at, config.office.day_starts_at) == (time(7, 30), time(4, 0))
    assert config.device.data_dir == Path("/var/lib/kiosk")
    assert config.printer.write_timeout == 5.0
    assert config.printer_profile.name == "generic-80"
    assert config.printer_profile.font_bold == paths.FONT_BOLD
    assert [f.id for f in config.catalogue.fields][:2] == ["ho-tich", "chung-thuc"]
    assert config.catalogue.get("ho-tich").label(1001) == "1001"
    assert config.catalogue.get("nope") is None
    assert verify_pin("246810", config.technician.pin_hash)
    assert not verify_pin("246811", config.technician.pin_hash)


def test_overrides_merge_key_by_key(tmp_path: Path) -> None:
    folder = write_override(
        tmp_path / "etc",
        kiosk='[printer]\nwrite_timeout = 2.5\nprofile = "shop-58"\n',
        catalogue=SMALL_CATALOGUE.replace("[priority]\nenabled = true\n", ""),
        printers="[profile.generic-80]\ncodepage = 3\n\n[profile.shop-58]\n"
        'width_dots = 384\nfont_px = 22\ntext_encoding = ""\ncodepage = 0\n'
        "big_number_scale = 4\nqr_module = 5\nfeed_before_cut = 3\n",
    )
    config = load_config(folder)
    assert config.printer.write_timeout == 2.5
    assert config.printer.url == "/dev/ttyUSB0"  # untouched keys keep their shipped value
    assert config.device.data_dir == tmp_path / "data"
    assert config.printer_profile.name == "shop-58"
    assert config.printer_profile.feed_before_cut == 3
    # [[fields]] in an override replaces the whole list; [priority] stays as shipped.
    assert [f.id for f in config.catalogue.fields] == ["alpha", "beta"]
    assert config.catalogue.priority_enabled
    assert config.catalogue.get("alpha").label(2) == "A002"
    assert config.sources[1:6:2] == (
        folder / "kiosk.toml",
        folder / "catalogue.toml",
        folder / "printers.toml",
    )


def test_a_single_file_overrides_kiosk_toml(tmp_path: Path) -> None:
    override = tmp_path / "site.toml"
    override.write_text('[device]\nid = "lobby-07"\nlanguage = "en"\n', encoding="utf-8")
    config = load_config(override)
    assert (config.device.id, config.device.language) == ("lobby-07", "en")
    assert config.sources[-1] == paths.SHIPPED_CONFIG_DIR / "officers.toml"
    assert override in config.sources


def test_a_missing_override_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file or directory"):
        load_config(tmp_path / "absent")


def test_the_message_names_file_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", kiosk="[printer]\nwrite_timeout = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value) == (
        f"{folder / 'kiosk.toml'}: [printer] write_timeout = -1"
        " — must be a number of seconds from 0.5 to 120"
    )


def test_an_old_display_section_is_read_as_panel_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_override(tmp_path / "etc", kiosk="[display]\nfullscreen = true\ndpi = 133\n")
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        config = load_config(folder)
    assert (config.panel.fullscreen, config.panel.dpi) == (True, 133)
    assert (config.panel.width, config.panel.height) == (1280, 800)  # the rest as shipped
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{folder / 'kiosk.toml'}: [display] is now called [panel]")
    assert config.notices == (warnings[0],)  # what `kiosk check-config` prints as a note


def test_a_window_position_is_optional_and_read_when_given(tmp_path: Path) -> None:
    assert (load_config(tmp_path).panel.left, load_config(tmp_path).panel.top) == (None, None)
    folder = write_override(tmp_path / "etc", kiosk="[panel]\nleft = 816\ntop = 0\n")
    assert (load_config(folder).panel.left, load_config(folder).panel.top) == (816, 0)


KIOSK_ERRORS = [
    ('[office]\nopens_at = "7h30"', '[office] opens_at = "7h30" — must be a time of day'),
    ('[office]\nday_starts_at = "24:00"', '[office] day_starts_at = "24:00" — must be a time'),
    ('[office]\nopens_at = "18:00"', '[office] closes_at = "17:00" — must be later than'),
    ('[office]\ncode = "637"', '[office] code = "637" — must be the 5-digit ward code'),
    ('[office]\ntimezone = "Asia/Hanoi"', "must be an IANA time zone name"),
    ('[office]\ncode_list_date = "2025-13-01"', 'must be a date written "YYYY-MM-DD"'),
    (
        "[office]\ntickets_before_opening = 300",
        "[office] tickets_before_opening = 300 — must be a whole number of minutes from 0 to 240",
    ),
    (
        "[office]\ntickets_before_opening = 240",
        "[office] tickets_before_opening = 240 — must leave the first ticket after day_starts_at",
    ),
    ('[office]\nclosed_outside_hours = "no"', 'closed_outside_hours = "no" — must be true or'),
    ("[central]\nclock_margin = 1", "[central] clock_margin = 1 — must be a number of seconds"),
    (
        '[device]\nrole = "hall"',
        '[device] role = "hall" — must be one of "lobby", "counter", "display"',
    ),
    ('[device]\nlanguage = "fr"', 'must be one of "vi", "en"'),
    ('[device]\nid = "Lobby 1"', '[device] id = "Lobby 1" — must be 1 to 32 characters'),
    ("[panel]\ndpi = 1000", "[panel] dpi = 1000 — must be a whole number from 60 to 400"),
    ("[panel]\nfullscreen = 1", "[panel] fullscreen = 1 — must be true or false"),
    ("[panel]\nleft = -5", "[panel] left = -5 — must be a whole number of pixels from 0 to"),
    ("[display]\ndpi = 1000", "[panel] dpi = 1000 — must be a whole number"),  # the old name
    ("[panel]\nrotation = 45", "[panel] rotation = 45 — must be one of 0, 90, 180, 270"),
    ('[panel]\ntouch_device = "event0"', '[panel] touch_device = "event0" — must be "" (the'),
    ("[panel]\ntouch_invert_x = 1", "[panel] touch_invert_x = 1 — must be true or false"),
    (
        "[display]\ndpi = 133\n\n[panel]\ndpi = 133",
        "[display] and [panel] — [display] is now called [panel]; keep only [panel]",
    ),
    ("[printer]\nbaudrate = 12345", "[printer] baudrate = 12345 — must be one of 1200, 2400,"),
    ('[printer]\nurl = ""', '[printer] url = "" — must be a pyserial URL'),
    ("[printer]\nstatus_interval = true", "[printer] status_interval = true — must be a number"),
    (
        '[printer]\nprofile = "epson-99"',
        '[printer] profile = "epson-99" — must be one of the profiles in printers.toml:'
        ' "generic-80", "generic-58", "epson-80-cp1258"',
    ),
    ("[lobby]\nidle_timeout = 2", "[lobby] idle_timeout = 2 — must be a whole number of seconds"),
    (
        "[printer]\nprint_at_start_within = 7200",
        "[printer] print_at_start_within = 7200 — must be a whole number of seconds from 0 to 3600",
    ),
    ("[store]\nkeep_days = 0", "[store] keep_days = 0 — must be a whole number of office days"),
    ('[technician]\npin_hash = "246810"', '[technician] pin_hash — must be "scrypt$N$r$p$'),
    (
        "[printer]\nwrite_timout = 3",
        "[printer] write_timout — unknown key;"
        " allowed: url, profile, baudrate, write_timeout, status_interval",
    ),
    ("[printr]\nurl = 'x'", "printr — unknown table or key; allowed: office, device,"),
]


@pytest.mark.parametrize(("override", "expected"), KIOSK_ERRORS)
def test_bad_kiosk_values_are_refused_with_file_key_and_allowed_values(
    tmp_path: Path, override: str, expected: str
) -> None:
    folder = write_override(tmp_path / "etc", kiosk=override + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'kiosk.toml'}: "), message
    assert expected in message


def field(**changes: object) -> str:
    values = {
        "id": '"alpha"',
        "name_vi": '"Hộ tịch"',
        "name_en": '"Civil status"',
        "colour": '"#1565C0"',
        "prefix": '"A"',
        "first": "1",
        "last": "99",
        "digits": "3",
    }
    values.update({key: str(value) for key, value in changes.items()})
    return "[[fields]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v != "-")


CATALOGUE_ERRORS = [
    (
        field() + field(id='"beta"', first=50, last=120),
        '[[fields]] "alpha" (1..99) and "beta" (50..120) — number ranges of fields with the'
        ' same prefix ("A") must not overlap',
    ),
    (field() + field(), '[[fields]] #2 (id "alpha") id = "alpha" — must be unique'),
    (field(id='"Hộ tịch"'), 'id = "Hộ tịch" — must be lowercase letters a-z, digits and'),
    (field(name_vi='""'), 'name_vi = "" — must be non-empty text'),
    (field(colour='"blue"'), 'colour = "blue" — must be a colour written "#RRGGBB"'),
    (field(prefix='"abcd"'), 'prefix = "abcd" — must be up to 3 capital letters A-Z'),
    (field(last=1000), "last = 1000 — must be a whole number from 1 to 999"),
    (field(first=5, last=4), "last = 4 — must be a whole number from 5 to 999"),
    (field(digits=7), "digits = 7 — must be a whole number from 1 to 6"),
    (field(digits="-"), '[[fields]] #1 (id "alpha") digits is missing'),
    (field(colur='"#000000"'), "colur — unknown key; allowed: id, name_vi, name_en, colour,"),
    ("fields = []\n", "fields = (a list) — must be one or more [[fields]] tables"),
]


@pytest.mark.parametrize(("catalogue", "expected"), CATALOGUE_ERRORS)
def test_bad_catalogues_are_refused(tmp_path: Path, catalogue: str, expected: str) -> None:
    folder = write_override(tmp_path / "etc", catalogue=catalogue)
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'catalogue.toml'}: "), message
    assert expected in message


def test_fields_with_different_prefixes_may_share_numbers(tmp_path: Path) -> None:
    catalogue = field() + field(id='"beta"', prefix='"B"')
    config = load_config(write_override(tmp_path / "etc", catalogue=catalogue))
    assert [f.label(7) for f in config.catalogue.fields] == ["A007", "B007"]


def test_a_bad_printer_profile_names_printers_toml(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", printers="[profile.generic-80]\nwidth_dots = 100\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'printers.toml'}: [profile.generic-80] ")
    assert "width_dots" in message


def test_malformed_toml_gives_the_path_and_line(tmp_path: Path) -> None:
    folder = write_override(tmp_path / "etc", kiosk='[printer]\nurl = "/dev/ttyUSB0\n')
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'kiosk.toml'}: not valid TOML")
    assert "line 5" in message  # the override starts with 3 lines for [device] data_dir


def test_every_catalogue_string_is_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Đất đai – Xây dựng")
    assert decomposed != "Đất đai – Xây dựng"
    folder = write_override(tmp_path / "etc", catalogue=field(name_vi=f'"{decomposed}"'))
    (alpha,) = load_config(folder).catalogue.fields
    assert alpha.name_vi == "Đất đai – Xây dựng"
    empty = tmp_path / "empty"
    empty.mkdir()
    shipped = load_config(empty)
    for f in shipped.catalogue.fields:
        assert unicodedata.is_normalized("NFC", f.name_vi), f.id
    assert unicodedata.is_normalized("NFC", shipped.office.name)


def test_pin_hash_round_trip() -> None:
    pin_hash = hash_pin("13579")
    assert pin_hash.startswith("scrypt$16384$8$1$")
    assert verify_pin("13579", pin_hash)
    assert not verify_pin("13570", pin_hash)
    assert hash_pin("13579") != pin_hash  # a fresh salt every time
    with pytest.raises(ValueError):
        verify_pin("13579", "md5$abc")


@pytest.mark.parametrize(
    ("size", "dpi"),
    [((800, 480), 133), ((1024, 600), 170), ((1280, 800), 149), ((1920, 1080), 102)],
)
def test_the_panel_density_defaults_to_the_usual_panel_of_its_size(
    tmp_path: Path, size: tuple[int, int], dpi: int
) -> None:
    width, height = size
    folder = write_override(
        tmp_path / "etc", kiosk=f"[panel]\nwidth = {width}\nheight = {height}\n"
    )
    assert load_config(folder).panel.dpi == dpi
    folder = write_override(tmp_path / "etc2", kiosk=f"[panel]\nwidth = {width}\ndpi = 96\n")
    assert load_config(folder).panel.dpi == 96


def test_a_panel_mounted_turned_keeps_its_picture_size_and_swaps_the_window(
    tmp_path: Path,
) -> None:
    folder = write_override(
        tmp_path / "etc", kiosk="[panel]\nwidth = 480\nheight = 800\nrotation = 90\n"
    )
    panel = load_config(folder).panel
    assert (panel.width, panel.height, panel.rotation) == (480, 800, 90)
    assert panel.window_size == (800, 480)  # the panel's own pixels, before rotation
    assert panel.touch.device == ""  # touches through SDL, turned with the picture
    assert load_config(tmp_path).panel.window_size == (1280, 800)


def test_a_touch_controller_with_its_own_axes_is_read_from_its_event_device(
    tmp_path: Path,
) -> None:
    folder = write_override(
        tmp_path / "etc",
        kiosk='[panel]\ntouch_device = "/dev/input/by-path/platform-ft5x06-event"\n'
        "touch_rotation = 270\ntouch_invert_y = true\n",
    )
    touch = load_config(folder).panel.touch
    assert (touch.device, touch.rotation, touch.invert_x, touch.invert_y) == (
        "/dev/input/by-path/platform-ft5x06-event",
        270,
        False,
        True,
    )
