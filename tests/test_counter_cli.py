"""`kiosk badge`, `kiosk badge-key` and `kiosk ticket-key`: the technician's provisioning of
officer badges and of the keys counters verify badges and tickets with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from kiosk.badges import verify_badge
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.officers import Officers
from kiosk.store import Store
from tests.support.clocks import HCM, Clock
from tests.support.device import write_override


def kiosk(etc: Path, *args: str) -> int:
    return main(["--config", str(etc), *args])


def test_badges_made_on_one_device_sign_in_at_another(tmp_path: Path, capsys) -> None:
    first = write_override(tmp_path / "first" / "etc", kiosk='[device]\nrole = "counter"\n')
    second = write_override(tmp_path / "second" / "etc", kiosk='[device]\nrole = "counter"\n')

    assert kiosk(first, "badge", "--officer", "demo-an") == 1
    assert "No office badge key" in capsys.readouterr().err

    usb = tmp_path / "usb" / "badge.key"
    assert kiosk(first, "badge-key", "--export", str(usb)) == 0
    assert capsys.readouterr().out.startswith("Made a new office badge key; written to")
    assert usb.stat().st_mode & 0o777 == 0o600 and len(usb.read_bytes()) == 32
    assert kiosk(first, "badge-key", "--export", str(usb)) == 0  # the same key, not a new one
    assert not capsys.readouterr().out.startswith("Made")
    assert kiosk(second, "badge-key", "--import", str(usb)) == 0
    assert "Office badge key installed" in capsys.readouterr().out

    png = tmp_path / "badge-an.png"
    assert kiosk(first, "badge", "--officer", "demo-an", "--png", str(png)) == 0
    out = capsys.readouterr().out.splitlines()
    payload = out[0]
    assert payload.startswith("VNB1|00637|demo-an|")
    assert len(out) > 15 and set(out[5]) <= set("█▀▄ \xa0")  # the QR, drawn for a terminal
    with Image.open(png) as image:
        assert image.width == image.height > 200
    key = (tmp_path / "second" / "data" / "badge.key").read_bytes()
    assert verify_badge(payload, office="00637", key=key) == "demo-an"

    config = load_config(second)
    store = Store(config.device.data_dir / "kiosk.db")
    try:
        officers = Officers(store, config, Clock(datetime(2025, 9, 8, 9, tzinfo=HCM)))
        assert officers.sign_in_badge(payload).id == "demo-an"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("badge", "--officer", "nobody"), "No officer 'nobody' in officers.toml (there are:"),
        (("badge-key", "--import", "{tmp}/absent.key"), "absent.key: no such file."),
        (("badge-key", "--import", "{tmp}/short.key"), "must be exactly 32 bytes, found 5."),
        (("ticket-key", "--import", "{tmp}/short.key", "--device-id", "lobby-01"), "found 5."),
        (("ticket-key", "--import", "{tmp}/good.key", "--device-id", "Lobby 1"), "not a device"),
        (("ticket-key", "--export", "{tmp}/out.key", "--device-id", "x"), "with --import only"),
        (("badge-key", "--export", "{tmp}/short.key/k"), "short.key: File exists."),
    ],
)
def test_key_commands_explain_what_is_wrong(tmp_path: Path, capsys, args, message) -> None:
    etc = write_override(tmp_path / "etc")
    (tmp_path / "short.key").write_bytes(b"12345")
    (tmp_path / "good.key").write_bytes(bytes(32))
    assert kiosk(etc, *(arg.format(tmp=tmp_path) for arg in args)) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
