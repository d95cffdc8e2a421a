"""The sync worker against the real central server (`python -m central serve` on 127.0.0.1,
SQLite): a day offline, faults between the two, poison events, a revoked token. Whatever
happens, the server ends with every event exactly once and the device keeps what it could not
deliver."""

from __future__ import annotations

from pathlib import Path

from kiosk.personal_data import PersonalData
from tests.support.central import CentralProcess, central_event_ids
from tests.support.device import DEVICE, OFFICE, device_config, enrol
from tests.support.events import identified_event, once_each, simulate_day, ticket_events
from tests.support.proxy import AFTER_SERVER, BEFORE_SERVER, FaultProxy
from tests.support.sync import SyncingDevice


def test_a_day_offline_reaches_the_server_exactly_once_when_it_is_back(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    server = CentralProcess.in_folder(tmp_path)
    with server:
        server.start()
        enrol(config, server)
        server.kill()
        with SyncingDevice(config) as device:
            offline = device.status.wait_for(lambda s: s.state == "offline")
            assert offline.offline_since is not None
            assert "the connection was refused" in offline.last_error
            written = simulate_day(device.store, config, tickets=2500)
            device.worker.wake()
            assert len(written) == 5000
            still = device.status.wait_for(lambda s: s.pending == 5000)
            assert still.state == "offline" and still.offline_since == offline.offline_since
            server.start()
            device.drained()
            assert device.worker.status.offline_since is None
        assert central_event_ids(server.database) == once_each(written)


def test_every_fault_of_the_network_or_server_ends_with_each_event_delivered_once(
    tmp_path: Path, central: CentralProcess
) -> None:
    enrol(device_config(tmp_path), central)
    faults = [*BEFORE_SERVER, *AFTER_SERVER, "cut", "garbage", "429"]
    with FaultProxy(central.url, hang_seconds=3) as proxy:
        config = device_config(tmp_path, f'url = "{proxy.url}"\ntimeout = 1')
        with SyncingDevice(config, batch_size=100) as device:
            written = device.write(ticket_events(1500))
            for fault in faults:  # each fault once, with good requests in between
                proxy.inject(fault, "pass")
            device.drained()
            assert proxy.faults_left() == 0
            errors = {status.last_error for status in device.status.seen}
    assert central_event_ids(central.database) == once_each(written)
    # Each batch the server stored but whose answer was lost came again: 100 duplicates.
    lost = 100 * sum(fault in AFTER_SERVER for fault in faults)
    assert proxy.verdicts == {"accepted": len(written) - lost, "duplicate": lost}
    for expected in (
        "failed (HTTP 500): injected failure",
        "is busy (HTTP 429); it asked to wait 1 s",
        "is busy (HTTP 503)",
        "No answer from the central server at 127.0.0.1",
        "sent an answer that could not be understood",
        "broke in the middle of its answer",
        "was cut",
    ):
        assert any(expected in error for error in errors), (expected, errors)
    # Retry-After: 1 was obeyed: the next attempt came at least a second later.
    for (asked, fault), (next_try, _) in zip(proxy.requests, proxy.requests[1:], strict=False):
        if fault == "429":
            assert next_try - asked >= 0.95


def test_a_poison_event_is_quarantined_with_the_servers_reason_and_the_rest_flow(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    events = ticket_events(40)
    events[5]["data"]["label"] = "L" * 40
    events[17]["type"] = "ticket.teleported"
    events[30]["office"] = "00638"
    poison = {events[5]["id"], events[17]["id"], events[30]["id"]}
    with SyncingDevice(config, batch_size=10) as device:
        device.write(events)
        device.status.wait_for(lambda s: s.pending == 0 and s.quarantined == 3)
        quarantined = device.store.outbox.quarantined()
    assert {q["id"] for q in quarantined} == poison
    reasons = " | ".join(q["reason"] for q in quarantined)
    assert "label" in reasons and "ticket.teleported" in reasons and "00638" in reasons
    delivered = [event["id"] for event in events if event["id"] not in poison]
    assert central_event_ids(central.database) == once_each(delivered)


def test_an_event_too_large_for_the_server_is_isolated_and_quarantined(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    events = ticket_events(20)
    events[7]["data"]["note"] = "x" * (1100 * 1024)  # the request would exceed 1 MiB
    with SyncingDevice(config, batch_size=20) as device:
        device.write(events)
        device.status.wait_for(lambda s: s.pending == 0 and s.quarantined == 1)
        (big,) = device.store.outbox.quarantined()
    assert big["id"] == events[7]["id"] and "HTTP 413" in big["reason"]
    delivered = [event["id"] for i, event in enumerate(events) if i != 7]
    assert central_event_ids(central.database) == once_each(delivered)


def test_a_revoked_token_stops_sending_keeps_the_events_and_a_new_enrolment_resumes(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    with SyncingDevice(config) as device:
        first = device.write(ticket_events(10))
        device.drained()
        revoked = central.run_cli("revoke", "--office", OFFICE, "--device-id", DEVICE)
        assert revoked.returncode == 0, revoked.stderr
        kept = device.write(ticket_events(5))
        refused = device.status.wait_for(lambda s: s.state == "unauthorized")
        assert refused.pending == 5 and refused.offline_since is not None
        assert "enrol the device again with `kiosk enroll`" in refused.last_error
        kept += device.write(ticket_events(1))  # a new event does not retry the refused token
        assert device.status.wait_for(lambda s: s.pending == 6).state == "unauthorized"
        assert central_event_ids(central.database) == once_each(first)

        enrol(config, central)
        device.worker.wake()
        device.drained()
    assert central_event_ids(central.database) == once_each(first + kept)


def test_without_an_enrolment_sync_is_off_and_starts_once_enrolled(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    with SyncingDevice(config) as device:
        written = device.write(ticket_events(3))
        off = device.status.wait_for(lambda s: s.state == "not_configured" and s.pending == 3)
        assert off.last_error.startswith("Sync is off: this device is not enrolled")
        enrol(config, central)
        device.worker.wake()
        device.drained()
    assert central_event_ids(central.database) == once_each(written)


def test_personal_data_is_delivered_then_gone_from_the_device(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    event = identified_event("Lê Văn Tám", "001203004005")
    with SyncingDevice(config) as device:
        device.personal.add_event(event)
        device.worker.wake()
        device.drained()
        assert device.store.outbox.summary()["personal_pending"] == 0
    assert central_event_ids(central.database) == once_each([event["id"]])


def test_a_personal_event_that_cannot_be_decrypted_is_quarantined_here_and_the_rest_flow(
    tmp_path: Path, central: CentralProcess
) -> None:
    config = device_config(tmp_path)
    enrol(config, central)
    with SyncingDevice(config) as device:
        sealed_elsewhere = PersonalData(device.store, bytes(32), config.office)
        lost = identified_event("Đỗ Thị Hoa", "001150009999")
        sealed_elsewhere.add_event(lost)  # a key this device no longer has
        written = device.write(ticket_events(3))
        device.drained()
        (quarantined,) = device.store.outbox.quarantined()
    assert quarantined["id"] == lost["id"] and quarantined["personal"]
    assert quarantined["reason"].startswith("not sent: its personal data cannot be decrypted")
    assert central_event_ids(central.database) == once_each(written)
