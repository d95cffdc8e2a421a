"""The counter terminal's side of the officer's desk page: the "Pair computer" button asks the
server for a pairing code and shows it big until it expires (or is closed), says why when it
cannot; an ID card scanned at the counter goes sealed into the outbox as a `citizen.identified`
of source "counter", for the desk page.

The server is a tiny real HTTP server on 127.0.0.1 (http.server, in a thread) that implements
just the device side of the desk-pairing contract (docs/central-api.md "The officer's desk"),
so these tests do not wait on the central server's desk work; it answers 404 to everything else,
so a typed ticket is taken offline as with a server that does not know it yet."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from common.office_clock import aware_now
from kiosk.central_client import CentralClient, CentralUnauthorized, CentralUnavailable
from kiosk.enrolment import ENROLMENT_FILE
from kiosk.personal_data import open_personal_data
from kiosk.store import Store
from tests.support.counter import PINS, office_device_config
from tests.support.device import OFFICE
from tests.support.device_client import DeviceProcess
from tests.support.layout_walk import SIZES, Auditor, panel, report
from tests.support.ui import pump, running_counter, tap

TOKEN = "counter-01-token"
PAIRING_PATH = f"/api/v1/offices/{OFFICE}/counters/1/desk-pairing"
OVERALL = "phien-lam-viec"  # the one officer criterion shipped
CARD = (
    "001099012345|013456789|Nguyễn Văn Mẫu|15031999|Nam|Số 12 ngõ 34 phố Thử Nghiệm, Phường"
    " Trung Văn, Hà Nội|20042021"
)


class PairingServer:
    """Answers the desk-pairing request of counter 1's token with `status` (200: `code`, valid
    `valid` more); every answer counted in `asked`."""

    def __init__(self) -> None:
        self.status = 200
        self.code = "123-456"
        self.valid = timedelta(minutes=5)
        self.asked = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                if self.path != PAIRING_PATH:
                    self._answer(404, {"detail": "not found"})
                elif self.headers.get("Authorization") != f"Bearer {TOKEN}" or body != {}:
                    self._answer(401, {"detail": "unknown token"})
                else:
                    server.asked += 1
                    expires = aware_now() + server.valid
                    answer = {"code": server.code, "expires_at": expires.isoformat()}
                    self._answer(server.status, answer if server.status == 200 else {})

            def _answer(self, status: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@contextlib.contextmanager
def pairing_office(folder: Path) -> Iterator[tuple[PairingServer, object]]:
    """The tiny server, and counter 1's configuration enrolled with it (its enrolment file
    written as `kiosk enroll` writes it)."""
    server = PairingServer()
    config = office_device_config(
        folder / "counter", device_id="counter-01", role="counter", kiosk="[counter]\nnumber = 1\n"
    )
    enrolment = {
        "api_url": server.url,
        "device_id": "counter-01",
        "office": OFFICE,
        "role": "counter",
        "counter": 1,
        "token": TOKEN,
    }
    path = config.device.data_dir / ENROLMENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(enrolment))
    path.chmod(0o600)
    try:
        yield server, config
    finally:
        server.stop()


def sign_in(app) -> None:
    app.sign_in("officer-an", PINS["officer-an"])
    assert pump(lambda: app.root.current == "counter_desk")


def test_the_pairing_code_is_shown_until_it_expires_and_errors_are_said(tmp_path):
    with pairing_office(tmp_path) as (server, config), running_counter(config) as app:
        sign_in(app)
        desk = app.desk
        tap(desk.button("pair_desk"))
        assert pump(lambda: app.root.current == "counter_pairing")
        screen = app.root.get_screen("counter_pairing")
        assert screen.ids.code.text == "Mã ghép: 123-456"
        local = (aware_now() + server.valid).astimezone(config.office.timezone)
        assert screen.ids.explain.text in {
            f"Nhập mã này trên trang Quầy của máy tính tại {server.url}/desk, hiệu lực đến "
            f"{moment:%H:%M}"
            for moment in (local - timedelta(minutes=1), local)  # a minute may turn meanwhile
        }
        tap(screen.ids.close)
        assert pump(lambda: app.root.current == "counter_desk")

        server.valid = timedelta(seconds=0.5)  # gone by itself when it expires
        tap(desk.button("pair_desk"))
        assert pump(lambda: app.root.current == "counter_pairing")
        assert pump(lambda: app.root.current == "counter_desk")
        assert server.asked == 2

        server.status = 403
        tap(desk.button("pair_desk"))
        assert pump(lambda: desk.message != "")
        assert desk.message == "Máy chủ trung tâm từ chối ghép máy tính với quầy này."
        assert desk.message_kind == "error" and app.root.current == "counter_desk"

        server.stop()
        tap(desk.button("pair_desk"))
        assert pump(lambda: desk.message.startswith("Không kết nối"))
        assert desk.message == (
            "Không kết nối được máy chủ trung tâm: chưa thể ghép máy tính lúc này."
        )


def test_the_client_refuses_an_answer_that_is_not_a_pairing_code(tmp_path):
    with pairing_office(tmp_path) as (server, _config):
        client = CentralClient(server.url, token=TOKEN, timeout=5)
        stranger = CentralClient(server.url, token="someone-else", timeout=5)
        try:
            pairing = client.desk_pairing(OFFICE, 1)
            assert pairing["code"] == "123-456" and pairing["expires_at"].tzinfo is not None
            server.code = "12345"
            with pytest.raises(CentralUnavailable, match="could not be understood"):
                client.desk_pairing(OFFICE, 1)
            with pytest.raises(CentralUnauthorized):
                stranger.desk_pairing(OFFICE, 1)
        finally:
            client.close()
            stranger.close()


def test_a_card_scanned_at_the_counter_is_sealed_into_the_outbox(tmp_path, caplog):
    with pairing_office(tmp_path) as (_server, config), running_counter(config) as app:
        sign_in(app)
        app.take_typed_ticket("1005")  # the server does not know it: taken offline
        assert pump(lambda: app.desk.state == "called")
        session = app.session
        app.on_scan(CARD.encode())  # what the scanner's reader hands the app
        assert pump(lambda: app.store.outbox.summary()["personal_pending"] == 1)
        assert app.desk.ids.prefill.text == (
            "Thẻ căn cước: ••••••••2345 · Nguyễn Văn Mẫu · sinh 15/03/1999"
        )
        (sealed,) = [e for e in app.store.outbox.pending() if "sealed" in e]
        personal = open_personal_data(app.store, config.device.data_dir, config.office)
        event = personal.open(sealed)
        identity = event["data"].pop("identity")
        assert event["type"] == "citizen.identified"
        assert event["data"] == {
            "day": session.day.isoformat(),
            "label": "1005",
            "ticket_id": None,
            "session_id": session.id,
            "counter": 1,
            "source": "counter",
        }
        assert (identity["id"], identity["name"]) == ("001099012345", "Nguyễn Văn Mẫu")
        data_dir = config.device.data_dir
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert "Nguyễn Văn Mẫu".encode() not in path.read_bytes(), path
            assert b"001099012345" not in path.read_bytes(), path
    assert all(
        "001099012345" not in r.getMessage() and "Nguyễn" not in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_pairing_screens_fit_the_panel(tmp_path, size):
    with (
        pairing_office(tmp_path) as (server, config),
        panel(size) as px_per_mm,
        running_counter(config, size=size) as app,
    ):
        auditor = Auditor(app, tmp_path, px_per_mm)
        sign_in(app)
        auditor.check("idle, with Pair computer")
        tap(app.desk.button("pair_desk"))
        auditor.reach(lambda: app.root.current == "counter_pairing")
        auditor.check("pairing code")
        tap(app.root.get_screen("counter_pairing").ids.close)
        auditor.reach(lambda: app.root.current == "counter_desk")
        server.status = 403
        tap(app.desk.button("pair_desk"))
        auditor.reach(lambda: app.desk.message != "")
        auditor.check("pairing refused")
    assert not auditor.problems, report(auditor.problems)


def test_a_counter_process_pairs_seals_a_card_and_closes(tmp_path):
    """The commands an end-to-end test drives a counter process with (device_process.py)."""
    with pairing_office(tmp_path) as (server, config):
        counter = DeviceProcess(config, tmp_path / "counter.log")
        try:
            counter.do("sign_in", officer="officer-an", pin=PINS["officer-an"])
            pairing = counter.do("desk_pairing")
            assert (pairing["code"], pairing["desk_url"]) == ("123-456", f"{server.url}/desk")
            session = counter.do("take", label="1005")
            assert counter.do("scan_card", payload=CARD)["event_id"]
            counter.do("start_serving")
            closed = counter.do(
                "close", outcome="da-tiep-nhan", same_day_result=True, officer_rating={OVERALL: 1}
            )
            assert closed["session_id"] == session["session_id"]
        finally:
            counter.stop()
        store = Store(config.device.data_dir / "kiosk.db")
        try:
            assert store.outbox.summary()["personal_pending"] == 1
        finally:
            store.close()
