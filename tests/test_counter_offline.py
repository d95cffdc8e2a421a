"""A counter without its central server: tickets entered by QR (verified with the lobby's
imported key) or by number, the whole visit recorded offline, and sent once the server is back.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from kiosk.cli import main
from kiosk.counter import CentralUnreachable
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR
from kiosk.ticket_entry import TicketRefused
from kiosk.ticket_signing import sign_ticket
from tests.support.central import CentralServer, running_central
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Counter, Lobby, report
from tests.support.device import OFFICE
from tests.support.events import events_of
from tests.support.ports import free_port

OVERALL = {"phien-lam-viec": 1}


def test_offline_entry_by_qr_and_number_then_sync(tmp_path: Path, capsys) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    port = free_port()
    clock = Clock(office_morning())
    lobby = Lobby(tmp_path / "lobby", clock)
    counter = Counter(tmp_path / "counter", clock, number=2)
    with running_central(database_url, port=port, key_dir=tmp_path / "keys") as base_url:
        lobby.enrol(CentralServer(base_url, database_url))
        counter.enrol(CentralServer(base_url, database_url), counter=2)
    # The technician carries the lobby's ticket key to the counter.
    key_file = tmp_path / "usb" / "lobby-01.key"
    assert main(["--config", str(lobby.etc), "ticket-key", "--export", str(key_file)]) == 0
    assert (
        main(["--config", str(counter.etc), "ticket-key", "--import", str(key_file)]) == 1
    )  # --device-id is needed
    assert "--import needs --device-id" in capsys.readouterr().err
    assert (
        main(
            [
                "--config",
                str(counter.etc),
                "ticket-key",
                "--import",
                str(key_file),
                "--device-id",
                "lobby-01",
            ]
        )
        == 0
    )
    stored = counter.config.device.data_dir / "ticket-keys" / "lobby-01.key"
    assert stored.stat().st_mode & 0o777 == 0o600

    # The server is down: the lobby still issues, the counter still serves.
    tickets = []
    for field_id in ("ho-tich", "ho-tich", "ho-tich", "cu-tru"):
        tickets.append(lobby.issue(field_id))
        clock.now += timedelta(minutes=1)
    first, second, third, fourth = tickets
    service = counter.service
    counter.officers.sign_in("officer-dung", PINS["officer-dung"])
    with pytest.raises(CentralUnreachable, match="connection was refused"):
        service.call_next()

    session = service.take_ticket(qr_payload=first.qr_payload + "\r\n")
    assert (session.label, session.field_id, session.ticket_id) == (first.label, "ho-tich", None)
    assert (session.entry, session.state, session.counter) == ("qr", "called", 2)
    service.start_serving()
    clock.now += timedelta(minutes=4)
    service.close_session("da-tiep-nhan", True, OVERALL)
    service.open_rating()
    clock.now += timedelta(seconds=6)
    assert service.record_citizen_rating(2, []).counted
    service.rating_timed_out()

    day = first.day
    edited = second.qr_payload.replace(f"|{second.label}|", f"|{third.label}|")
    yesterday = sign_ticket(
        office=OFFICE,
        day=day - timedelta(days=1),
        label="1001",
        device_id="lobby-01",
        key=(lobby.config.device.data_dir / "device.key").read_bytes(),
    )
    other_office = sign_ticket(
        office="00638",
        day=day,
        label="1001",
        device_id="lobby-01",
        key=(lobby.config.device.data_dir / "device.key").read_bytes(),
    )
    unknown_lobby = sign_ticket(
        office=OFFICE, day=day, label="1002", device_id="lobby-02", key=bytes(32)
    )
    refused, vietnamese = {}, {}
    vi = Translator(LOCALE_DIR, "vi").gettext
    for name, payload in {
        "edited": edited,
        "yesterday": yesterday,
        "other office": other_office,
        "unknown lobby": unknown_lobby,
        "not a ticket": "https://dichvucong.gov.vn",
        "served": first.qr_payload,
    }.items():
        with pytest.raises(TicketRefused) as caught:
            service.take_ticket(qr_payload=payload)
        refused[name] = caught.value.reason
        vietnamese[name] = vi(caught.value.message).format(**caught.value.values)
    assert refused == {
        "edited": "ticket signature does not match",
        "yesterday": f"a ticket of {day - timedelta(days=1)}, not of today",
        "other office": "a ticket of office 00638, not of this office (00637)",
        "unknown lobby": "ticket from an unknown device 'lobby-02'",
        "not a ticket": "not a ticket code",
        "served": f"ticket {first.label} was already served at counter 2 at"
        f" {session.called_at + timedelta(minutes=4):%H:%M}",
    }
    # The officer reads each reason whole in Vietnamese: no English phrase spliced in.
    assert vietnamese["other office"] == "phiếu của đơn vị 00638, không phải của đơn vị này (00637)"
    assert vietnamese["served"].startswith(f"số {first.label} đã được phục vụ tại quầy 2 lúc ")
    english = re.compile(r"\b(ticket|counter|office|not|served|device|signature)\b")
    assert not [text for text in vietnamese.values() if english.search(text)]
    with pytest.raises(TicketRefused, match="in no field's number range"):
        service.take_ticket(label="9999")
    with pytest.raises(TicketRefused, match="in no field's number range"):
        service.take_ticket(label="")

    # The number typed by hand, for a ticket whose QR will not scan.
    typed = service.take_ticket(label=f" {fourth.label} ")
    assert (typed.label, typed.field_id, typed.entry) == (fourth.label, "cu-tru", "typed")
    clock.now += timedelta(minutes=1)
    service.skip()  # the citizen is gone
    skipped_again = service.take_ticket(label=fourth.label)  # and came back: a no-show may
    service.start_serving()
    clock.now += timedelta(minutes=5)
    service.close_session("tu-van", False, OVERALL)
    service.open_rating()
    clock.now += timedelta(seconds=40)
    assert service.rating_timed_out()

    pending = [e["type"] for e in events_of(counter.store)]
    assert pending.count("rating.citizen") == 2 and pending.count("ticket.called") == 3

    # The server is back: everything recorded offline reaches it, nothing is refused.
    with running_central(database_url, port=port, key_dir=tmp_path / "keys") as base_url:
        assert lobby.sync()["quarantined"] == 0
        sent = counter.sync()
        assert sent == {"accepted": len(pending), "duplicates": 0, "quarantined": 0}
        queue = requests.get(
            f"{base_url}/api/v1/offices/{OFFICE}/queue",
            headers={"Authorization": f"Bearer {counter.token()}"},
            timeout=10,
        ).json()
        waiting = {f["field_id"]: f["waiting"] for f in queue["fields"]}
        assert waiting == {"ho-tich": 2, "cu-tru": 0}  # second and third still wait
        assert queue["recently_called"][0]["label"] == skipped_again.label
        body = report(
            base_url, counter.token(), first=day.isoformat(), last=day.isoformat(), by="field"
        )
        rows = {row["key"]: (row["ballots"], row["not_rated"]) for row in body["rows"]}
        assert rows == {"ho-tich": (1, 0), "cu-tru": (0, 1)}
    counter.close()
    lobby.close()
