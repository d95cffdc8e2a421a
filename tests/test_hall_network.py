"""Calls over the office network, on real UDP sockets of 127.0.0.1 and real threads: a signed call
reaches the display once, equal to what was sent; forged, tampered, stale, replayed, garbage
and oversized datagrams are refused, each counted by its reason, and the listener still takes
the next call."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
from datetime import timedelta
from pathlib import Path

from kiosk.config.office_network import Target
from kiosk.hall_key import NO_KEY, HallKey, HallKeyStore
from kiosk.hall_messages import canonical, encode, mac_of
from kiosk.hall_network import LISTENER_FAILED, HallListener, HallSender, SenderStats
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR
from tests.support.clocks import Clock, office_hours_now
from tests.support.hall import (
    KEY,
    OTHER_KEY,
    Received,
    a_call,
    hall_config,
    key_store,
    wait_until,
)


def listener(received: Received, clock: Clock, keys: HallKeyStore) -> HallListener:
    return HallListener(hall_config(), keys, on_call=received, clock=clock)


def sender(keys: HallKeyStore, clock: Clock, *targets: HallListener) -> HallSender:
    """counter-02's sender, to the listeners given."""
    base = hall_config()
    base = dataclasses.replace(base, device=dataclasses.replace(base.device, id="counter-02"))
    config = hall_config(send_to=tuple(Target(*t.address) for t in targets), base=base)
    return HallSender(config, keys, clock=clock)


def test_a_signed_call_reaches_every_target_once_and_equal(tmp_path: Path) -> None:
    clock = Clock(office_hours_now())
    first, second = Received(), Received()
    display_keys = key_store(tmp_path / "display")
    with (
        listener(first, clock, display_keys) as one,
        listener(second, clock, display_keys) as other,
    ):
        with sender(key_store(tmp_path / "counter"), clock, one, other) as sender_:
            call = a_call(clock.now)
            sender_.send(call)
            assert first.next() == call and second.next() == call
            # Each target gets the call three times (against loss): still one call.
            wait_until(lambda: sender_.stats().datagrams == 6)
            wait_until(lambda: one.stats().repeats == 2 and other.stats().repeats == 2)
        assert sender_.stats() == SenderStats(calls=1, datagrams=6, failed=0, no_key=0, dropped=0)
        for side, received in ((one, first), (other, second)):
            stats = side.stats()
            assert (stats.accepted, stats.refused, stats.last_accepted_at) == (1, {}, clock.now)
            assert received.empty()


def test_forged_stale_replayed_and_garbage_datagrams_are_refused_and_counted(
    tmp_path: Path, caplog
) -> None:
    now = office_hours_now()
    clock = Clock(now)
    received = Received()

    def signed(call=None, *, key: HallKey = KEY, sent_at=now, attempt: int = 0) -> bytes:
        return encode(
            call or a_call(now),
            device_id="counter-02",
            sent_at=sent_at,
            hall_key=key,
            attempt=attempt,
        )

    def tampered(datagram: bytes, **changes: object) -> bytes:
        return canonical({**json.loads(datagram), **changes})

    def resigned(datagram: bytes, **changes: object) -> bytes:
        """Changed and signed again with the right key: authentic, but not a call."""
        fields = {**json.loads(datagram), **changes}
        del fields["mac"]
        return canonical({**fields, "mac": mac_of(KEY.key, fields)})

    good = signed()
    refused = {
        "bad_mac": [
            signed(key=OTHER_KEY),
            tampered(signed(), label="1999"),
            tampered(signed(), counter=9),
        ],
        "unknown_key": [signed(key=HallKey("k0", KEY.key))],
        "wrong_office": [signed(dataclasses.replace(a_call(now), office="00638"))],
        "stale": [signed(sent_at=now - timedelta(seconds=61))],
        "future": [signed(sent_at=now + timedelta(seconds=61))],
        "replay": [good, tampered(good)],  # captured and sent again, as it was
        "garbage": [
            b"\xff\xfe\x00",
            b"not json",
            b"[1, 2]",
            b'{"version": 1}',
            resigned(signed(), counter="hai"),
            resigned(signed(), attempt=99),
        ],
        "version": [tampered(signed(), version=2), b"{}"],
        "oversized": [b" " * 3000],
    }
    accepted = [
        good,
        signed(sent_at=now - timedelta(seconds=59)),
        signed(sent_at=now + timedelta(seconds=59)),
    ]
    caplog.set_level(logging.WARNING, logger="kiosk.hall_network")
    keys = key_store(tmp_path / "display")
    with (
        listener(received, clock, keys) as display,
        socket.socket(type=socket.SOCK_DGRAM) as laptop,
    ):
        for datagram in accepted[:1] + [d for ds in refused.values() for d in ds]:
            laptop.sendto(datagram, display.address)
        for datagram in accepted[1:]:  # the listener is still there
            laptop.sendto(datagram, display.address)
        total = len(accepted) + sum(len(ds) for ds in refused.values())
        wait_until(lambda: (s := display.stats()).accepted + sum(s.refused.values()) == total)
        stats = display.stats()
    assert stats.refused == {reason: len(ds) for reason, ds in refused.items()}
    assert stats.accepted == 3 and stats.repeats == 0
    assert [received.next().label for _ in accepted] == ["1002"] * 3 and received.empty()
    # Refusals are logged, each kind once for a burst, never what the datagram said.
    said = [r.getMessage() for r in caplog.records if "was refused" in r.getMessage()]
    assert len([m for m in said if "bad_mac" in m]) == 1
    assert len(said) == len(refused) and not [m for m in said if "1999" in m]


def test_a_display_without_a_key_refuses_every_call_and_says_why(tmp_path: Path) -> None:
    clock = Clock(office_hours_now())
    received = Received()
    with listener(received, clock, key_store(tmp_path / "display", None)) as display:
        with sender(key_store(tmp_path / "counter"), clock, display) as counter:
            counter.send(a_call(clock.now))
            wait_until(lambda: display.stats().refused.get("no_key") == 3)
        words = display.describe(Translator(LOCALE_DIR, "en").gettext)
    assert display.stats().accepted == 0 and received.empty()
    assert words.startswith("listening on UDP port ")
    assert "3 refused" in words and words.endswith(NO_KEY)


class BrokenKeys(HallKeyStore):
    """A key store whose key cannot be had: a fault the test cannot cause for real without
    breaking the store it tests, so the one method is replaced."""

    def current(self) -> HallKey:
        raise OSError("the key file cannot be read")


def test_a_sender_without_a_key_sends_nothing_says_so_once_and_never_raises(
    tmp_path: Path, caplog
) -> None:
    clock = Clock(office_hours_now())
    received = Received()
    caplog.set_level(logging.WARNING, logger="kiosk.hall_network")
    with listener(received, clock, key_store(tmp_path / "display")) as display:
        keyless = sender(key_store(tmp_path / "counter", None), clock, display)
        keyless.send(a_call(clock.now))  # before the thread runs: kept, never blocks
        with keyless:
            keyless.send(a_call(clock.now))
            wait_until(lambda: keyless.stats().no_key == 2)
        broken = BrokenKeys(tmp_path / "broken", "00637", None)
        with sender(broken, clock, display) as failing:
            failing.send(a_call(clock.now))
            wait_until(lambda: "could not be signed" in caplog.text)
            failing.send(a_call(clock.now))
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if "no hall key" in m]) == 1
    assert keyless.stats() == SenderStats(calls=2, datagrams=0, failed=0, no_key=2, dropped=0)
    assert display.stats().accepted == 0 and received.empty()


def test_a_display_on_a_port_in_use_says_so_and_goes_on(tmp_path: Path) -> None:
    clock = Clock(office_hours_now())
    keys = key_store(tmp_path / "display")
    with listener(Received(), clock, keys) as first:
        _host, port = first.address
        config = hall_config()
        taken = dataclasses.replace(config.office_network, port=port)
        second = HallListener(
            dataclasses.replace(config, office_network=taken),
            keys,
            on_call=Received(),
            clock=clock,
        )
        assert not second.start()
        vi = Translator(LOCALE_DIR, "vi").gettext
        assert second.describe(vi).startswith(vi(LISTENER_FAILED).format(port=port))
        second.stop()
