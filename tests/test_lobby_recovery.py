"""The real lobby app at start, on a virtual printer and an injected clock: it settles what its
last run left by the start-up rule (kiosk.printing) and prunes old delivered records
(kiosk.store.pruning), off the UI thread."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from PIL import Image

from kiosk.store import Store
from kiosk.tickets import Ticket, TicketService
from tests.support.clocks import Clock, office_hours_now
from tests.support.paper import qr_texts
from tests.support.ui import lobby_config, pump, running_lobby

NOW = office_hours_now(10)


def test_the_lobby_settles_its_last_run_and_prunes_at_start(tmp_path: Path) -> None:
    config = lobby_config(tmp_path)
    clock = Clock(NOW)
    with Store(config.device.data_dir / "kiosk.db") as store:
        tickets = TicketService(store, config, bytes(32), clock)

        def issue(ago: timedelta) -> Ticket:
            clock.now = NOW - ago
            return tickets.issue("ho-tich", priority=False, request_id=str(uuid.uuid4()))

        old = issue(timedelta(days=config.store.keep_days + 1))
        while batch := store.outbox.pending():  # the server has it
            store.outbox.settle([event["id"] for event in batch], {})
        stale, young = issue(timedelta(minutes=10)), issue(timedelta(seconds=20))
        interrupted = issue(timedelta(seconds=10))
        tickets.mark_printing(interrupted.id)  # then the kiosk was killed

    with running_lobby(tmp_path, config=config, clock=Clock(NOW)) as (app, printer):
        assert pump(lambda: len(printer.pages) == 1)  # the young one, and only it
        assert pump(lambda: app.store.tickets.get(old.id) is None)
        status = {t.id: app.store.tickets.get(t.id).print_status for t in (stale, young)}
        assert status == {stale.id: "pending", young.id: "printed"}
        assert app.store.tickets.get(interrupted.id).print_status == "unknown"

        app.refresh_technician_view()
        rows = app.root.get_screen("technician").ids.failed.children
        assert pump(lambda: len(rows) == 2)
        assert [row.text.split(" · ")[0] for row in reversed(rows)] == [
            f"? {interrupted.label}",
            stale.label,
        ]
    assert qr_texts(Image.open(printer.pages[0]).convert("L")) == [young.qr_payload]
