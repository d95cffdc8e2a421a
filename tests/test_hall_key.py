"""The office's hall key on a device: fetched from the central server (a real HTTP server on
127.0.0.1 serving GET /api/v1/offices/{office}/hall-key), cached in the data folder with mode
0600, refreshed, kept while the server is gone, and reported missing when never fetched."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from kiosk.central_client import CentralClient
from kiosk.enrolment import CentralLink
from kiosk.hall_key import (
    KEY_CACHED,
    KEY_NOT_REFRESHED,
    KEY_READY,
    NO_KEY,
    HallKey,
    HallKeyStatus,
    HallKeyStore,
    store_hall_key,
)
from kiosk.i18n import Translator
from kiosk.paths import LOCALE_DIR
from tests.support.clocks import Clock, office_hours_now
from tests.support.device import OFFICE, device_config
from tests.support.hall import KEY, hall_key_server, wait_until

NEW_KEY = HallKey("k2", bytes(range(100, 132)))


def test_the_key_is_fetched_cached_private_refreshed_and_kept_offline(tmp_path: Path) -> None:
    clock = Clock(office_hours_now())
    data = tmp_path / "data"
    with hall_key_server(KEY) as server:
        client = CentralClient(server.url, token=server.token)
        store = HallKeyStore(data, OFFICE, client, clock)
        assert (store.current(), store.keys()) == (None, {})
        assert store.refresh()
        assert store.current() == KEY and store.keys() == {"k1": KEY.key}
        assert (data / "hall.key").read_bytes() == KEY.key
        for name in ("hall.key", "hall.key.id"):
            assert (data / name).stat().st_mode & 0o777 == 0o600
        assert store.status() == HallKeyStatus("k1", clock.now, "")
        assert store.status().words() == (KEY_READY, {"key_id": "k1"})

        # The server gives a new key: it signs from now on; the one before is still accepted
        # (counters that have not fetched the new one yet still reach the display).
        server.key = NEW_KEY
        clock.now += timedelta(minutes=5)
        assert store.refresh()
        assert store.current() == NEW_KEY
        assert store.keys() == {"k1": KEY.key, "k2": NEW_KEY.key}
        assert (data / "hall.key").read_bytes() == NEW_KEY.key
        fetched_at = clock.now
        client.close()

    # The server is gone: the key stays, and the status says since when it was not refreshed.
    clock.now += timedelta(minutes=5)
    assert not store.refresh()
    status = store.status()
    assert status.key_id == "k2" and "refused" in status.problem
    assert status.words() == (KEY_NOT_REFRESHED, {"key_id": "k2", "time": f"{fetched_at:%H:%M}"})
    assert store.current() == NEW_KEY

    # Restarted without the server: the cached key is used at once.
    again = HallKeyStore(data, OFFICE, CentralClient(server.url, token=server.token), clock)
    assert again.current() == NEW_KEY
    assert not again.refresh()
    assert again.status().words() == (KEY_CACHED, {"key_id": "k2"})
    vi = Translator(LOCALE_DIR, "vi").gettext
    assert vi(KEY_CACHED).format(key_id="k2") != KEY_CACHED.format(key_id="k2")


def test_the_refresher_thread_fetches_at_start_and_a_refused_token_is_a_problem(
    tmp_path: Path,
) -> None:
    clock = Clock(office_hours_now())
    with hall_key_server(KEY) as server:
        store = HallKeyStore(tmp_path / "data", OFFICE, CentralClient(server.url, token="x"))
        assert not store.refresh()
        assert "token" in store.status().problem and not store.status().ready
        good = HallKeyStore(
            tmp_path / "data", OFFICE, CentralClient(server.url, token=server.token), clock
        )
        good.start()
        try:
            wait_until(lambda: good.status().ready)
        finally:
            good.stop()
        assert good.current() == KEY


def test_a_device_that_never_had_the_key_says_so(tmp_path: Path) -> None:
    config = device_config(tmp_path)  # not enrolled
    store = HallKeyStore(config.device.data_dir, OFFICE, CentralLink(config))
    assert not store.refresh()
    status = store.status()
    assert not status.ready and "not enrolled" in status.problem
    assert status.words() == (NO_KEY, {})
    assert store.current() is None and store.keys() == {}
    vi = Translator(LOCALE_DIR, "vi").gettext
    assert vi(NO_KEY).startswith("Chưa có khóa")
    store.stop()
    assert not HallKeyStore(tmp_path / "other", OFFICE, None).refresh()


def test_a_key_file_that_does_not_match_its_id_is_not_used(tmp_path: Path, caplog) -> None:
    data = tmp_path / "data"
    store_hall_key(data, KEY)
    assert HallKeyStore(data, OFFICE, None).current() == KEY
    (data / "hall.key").write_bytes(NEW_KEY.key)  # as after a crash between the two writes
    caplog.set_level(logging.WARNING, logger="kiosk.hall_key")
    assert HallKeyStore(data, OFFICE, None).current() is None
    assert "does not match" in caplog.text
    (data / "hall.key.id").write_text("{", encoding="utf-8")
    assert HallKeyStore(data, OFFICE, None).current() is None
