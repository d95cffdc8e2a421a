"""Ticket numbering survives kill -9 and concurrent processes on the same SQLite file.

Real child processes (tests/support/issuing.py) issue tickets in a loop and print each ticket
only after it is committed; the test kills them with SIGKILL at random moments and restarts
them on the same file, one at a time and two at once. A ticket a child printed was promised to
a citizen: it must be in the store, once, with its number used once and exactly one event.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from kiosk.store import Store
from tests.support.device import write_override
from tests.support.processes import REPO_ROOT

CATALOGUE = """
[priority]
enabled = true
"""
CATALOGUE += "".join(
    f"""
[[fields]]
id = "{field_id}"
name_vi = "Lĩnh vực {field_id}"
name_en = "Field {field_id}"
colour = "#1565C0"
prefix = "{prefix}"
first = {first}
last = 999999
digits = 6
"""
    for field_id, prefix, first in (("alpha", "A", 1), ("beta", "B", 1), ("gamma", "", 100000))
)
FIRST = {"alpha": 1, "beta": 1, "gamma": 100000}


def start_child(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.issuing",
            "forever",
            str(folder / "kiosk.db"),
            str(folder / "device.key"),
            str(folder / "etc"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at_random(children: list[subprocess.Popen[str]], rng: random.Random) -> list[str]:
    """Wait until every child has issued a ticket, kill each at a random moment, and return the
    complete lines they printed (a line cut by the kill is not a promise and is dropped)."""
    firsts = []
    for child in children:
        line = child.stdout.readline()
        assert line.endswith("\n"), child.stderr.read()
        firsts.append(line)
    lines = []
    for child, first in zip(children, firsts, strict=True):
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(child.pid, signal.SIGKILL)
        # Read through the same buffered pipe readline() used (communicate() would skip
        # what readline() already buffered).
        rest, errors = child.stdout.read(), child.stderr.read()
        assert child.wait() == -signal.SIGKILL, errors
        lines += (first + rest).split("\n")[:-1]
    return lines


def test_numbers_are_unique_and_promised_tickets_kept_across_kill_9(tmp_path: Path) -> None:
    write_override(tmp_path / "etc", catalogue=CATALOGUE)
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    printed: list[str] = []
    # A fresh file opened by two processes at once, then restarts alone, then pairs again.
    for children in (2, 1, 1, 1, 1, 1, 1, 2, 2, 2):
        printed += kill_at_random([start_child(tmp_path) for _ in range(children)], rng)

    promised = [line.split(" ") for line in printed]
    assert len(promised) > 20, f"seed {seed}: the children issued too few tickets to judge"
    db = sqlite3.connect(tmp_path / "kiosk.db")
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}"

    rows = db.execute("SELECT id, day, field_id, number, label FROM tickets").fetchall()
    stored = {ticket_id: (field_id, label) for ticket_id, _, field_id, _, label in rows}
    for ticket_id, field_id, label in promised:
        assert stored.get(ticket_id) == (field_id, label), f"seed {seed}: {label} lost"
    assert len({label for _, _, label in promised}) == len(promised), f"seed {seed}"

    numbers = Counter((day, field_id, number) for _, day, field_id, number, _ in rows)
    assert max(numbers.values()) == 1, f"seed {seed}: a number was issued twice"
    for day, field_id in {(day, field_id) for _, day, field_id, _, _ in rows}:
        used = sorted(n for (d, f, n) in numbers if (d, f) == (day, field_id))
        first = FIRST[field_id]
        assert used == list(range(first, first + len(used))), f"seed {seed}: gap in {field_id}"

    issued = Counter(
        json.loads(body)["data"]["ticket_id"]
        for (body,) in db.execute("SELECT body FROM outbox WHERE type = 'ticket.issued'")
    )
    assert issued == Counter(dict.fromkeys(stored, 1)), (
        f"seed {seed}: not exactly one ticket.issued per ticket"
    )
    db.close()

    with Store(tmp_path / "kiosk.db") as store:  # and the kiosk can still open and use it
        assert store.outbox.counts()["pending"] == len(rows)
