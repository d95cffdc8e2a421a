"""Exactly once across crashes: the device process killed with SIGKILL in the middle of a
batch and restarted, and the central server killed mid-batch and restarted. Real processes, a
real outbox, the real server."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.enrolment import CentralLink
from kiosk.personal_data import open_personal_data
from kiosk.store import Store
from kiosk.sync import SyncWorker
from tests.support.central import CentralProcess, central_event_ids
from tests.support.device import device_config, enrol
from tests.support.events import once_each, ticket_events
from tests.support.processes import REPO_ROOT
from tests.support.sync import StatusRecorder


def start_device(config_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.sync", str(config_dir)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_while_sending(child: subprocess.Popen[str], rng: random.Random) -> bool:
    """Let the child start a batch, kill it at a random moment; whether a batch was in flight
    (sent, not yet settled) when it died."""
    first = child.stdout.readline()
    assert first.startswith("sending"), first + child.stderr.read()
    time.sleep(rng.uniform(0.0, 0.25))
    os.kill(child.pid, signal.SIGKILL)
    rest, errors = child.stdout.read(), child.stderr.read()
    assert child.wait() == -signal.SIGKILL, errors
    lines = (first + rest).splitlines()
    return lines[-1].startswith("sending")


def test_a_device_killed_mid_batch_and_restarted_delivers_every_event_once(
    tmp_path: Path,
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    config = device_config(tmp_path, "batch_size = 100")
    with CentralProcess.in_folder(tmp_path) as central:
        central.start()
        enrol(config, central)
        # Enough that six short runs cannot drain it all, however fast the machine.
        written = ticket_events(20000)
        db = config.device.data_dir / "kiosk.db"
        with Store(db) as store:
            store.outbox.add(written)
        in_flight = sum(kill_while_sending(start_device(tmp_path / "etc"), rng) for _ in range(6))
        with Store(db) as store:
            assert store.outbox.summary()["pending"] > 0, f"seed {seed}: drained before a kill"
        last = start_device(tmp_path / "etc")
        try:
            with Store(db) as store:
                while store.outbox.summary()["pending"]:
                    assert last.poll() is None, last.stderr.read()
                    time.sleep(0.05)
        finally:
            last.kill()
            last.wait()
        assert in_flight >= 1, f"seed {seed}: no kill landed while a batch was in flight"
        ids = central_event_ids(central.database)
    assert ids == once_each([e["id"] for e in written]), f"seed {seed}"


def test_the_server_killed_mid_batch_and_restarted_gets_every_event_once(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    config = device_config(tmp_path)
    written = ticket_events(6000)
    with CentralProcess.in_folder(tmp_path) as central:
        central.start()
        enrol(config, central)
        store = Store(config.device.data_dir / "kiosk.db")
        personal = open_personal_data(store, config.device.data_dir, config.office)
        status = StatusRecorder()
        worker = SyncWorker(
            store,
            CentralLink(config),
            personal=personal,
            batch_size=250,
            max_backoff=0.5,
            on_status=status,
        )
        store.outbox.add(written)
        worker.start()
        try:
            cut = []  # how the device saw each kill: a request cut, or no server at all
            for _ in range(3):
                status.wait_for(lambda s: s.state == "online")
                time.sleep(rng.uniform(0.05, 0.4))
                central.kill()
                cut.append(status.wait_for(lambda s: s.state == "offline").last_error)
                central.start()
            status.wait_for(lambda s: s.state == "online" and s.pending == 0, timeout=120)
        finally:
            assert worker.stop(timeout=30)
            store.close()
        ids = central_event_ids(central.database)
    assert ids == once_each([e["id"] for e in written]), f"seed {seed}"
    assert any("refused" not in error for error in cut), f"seed {seed}: no kill mid-request {cut}"
