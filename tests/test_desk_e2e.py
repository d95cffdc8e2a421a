""" "Ngày không viết" end to end with real processes: the central server (`python -m central
serve`, its clock set by time-machine) and a counter (tests/support/device_process.py) each in a
process of their own, the lobby app in a real window, and the officer's desk page in a real
headless Chromium.

The citizen consents and scans a card at the lobby; the counter calls the ticket; the desk page,
paired with the counter by the code it shows, has every field of the card (over HTTP and in the
browser, whose screenshot is the README's); the officer's own scan at the counter replaces it
there; the session closes and page and API say there is
nothing; the access log holds the reads without the data; a citizen who declines leaves a consent
answer and no card data anywhere; and once the office day is over no file of the server or the
devices holds the name or the ID number.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from central.db import Database
from central.enrolment import create_desk_token
from common.office_clock import default_rule
from devices.virtual_scanner import VirtualScanner
from tests.central.test_personal_at_rest import forms
from tests.support.browser import chromium, needs_chromium
from tests.support.central import CentralProcess, viewer_token
from tests.support.clocks import RunningClock, office_hours_now
from tests.support.counter import PINS, office_device_config
from tests.support.device import OFFICE, enrol
from tests.support.device_client import DeviceProcess
from tests.support.ui import field_button, go_to_fields, pump, running_lobby, tap

ID_NUMBER = "001099012345"
OLD_ID = "013456789"
NAME = "Nguyễn Văn Mẫu"
ADDRESS = "Số 12 ngõ 34 phố Thử Nghiệm, Phường Trung Văn, Hà Nội"
CARD = f"{ID_NUMBER}|{OLD_ID}|{NAME}|15031999|Nam|{ADDRESS}|20042021||".encode()
# The card the officer scans at the counter (the citizen hands it over there).
COUNTER_ID = "036185001234"
COUNTER_NAME = "Trần Thị Bình"
COUNTER_CARD = (
    f"{COUNTER_ID}||{COUNTER_NAME}|01021985|Nữ|Thôn Đông, Xã Hải Hậu, Tỉnh Ninh Bình|10102022"
)
SHOWN = {
    "id": ID_NUMBER,
    "old_id": OLD_ID,
    "name": NAME,
    "birth": "15/03/1999",
    "sex": "Nam",
    "address": ADDRESS,
    "issued": "20/04/2021",
}
COPY_ALL = "\n".join(
    [
        f"Số định danh cá nhân: {ID_NUMBER}",
        f"Số CMND cũ: {OLD_ID}",
        f"Họ và tên: {NAME}",
        "Ngày sinh: 15/03/1999",
        "Giới tính: Nam",
        f"Nơi thường trú: {ADDRESS}",
        "Ngày cấp: 20/04/2021",
    ]
)
README_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "desk-page.png"

pytestmark = needs_chromium


def starting_at(moment: datetime) -> tuple[str, ...]:
    """What goes in front of a process's command so that its clock starts at `moment`."""
    return (sys.executable, "-m", "tests.support.time_travel", moment.isoformat(), "--")


def wait_for(check: Callable[[], Any], within: float = 20.0) -> Any:
    """`check()` once it is true; a page being loaded or redrawn meanwhile is waited out."""
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if found := check():
                return found
        except WebDriverException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {within} s")


def files_holding(folder: Path, texts: list[str]) -> list[str]:
    needles = [form for text in texts for form in forms(text)]
    return [
        str(path)
        for path in folder.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]


class Office:
    """The server and the counter as processes, their clocks at `moment` (office hours)."""

    def __init__(self, folder: Path, moment: datetime) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.central = CentralProcess.in_folder(folder, wrapper=starting_at(moment))
        self.central.start()
        self.counter_config = office_device_config(
            folder / "counter",
            device_id="counter-01",
            role="counter",
            kiosk="[counter]\nnumber = 1\n",
        )
        enrol(self.counter_config, self.central, counter=1)
        self.counter = DeviceProcess(
            self.counter_config, folder / "counter.log", wrapper=starting_at(moment)
        )
        self.counter.do("sign_in", officer="officer-an", pin=PINS["officer-an"])
        self.http = httpx.Client(base_url=self.central.url, timeout=30)

    def token(self, make: Callable[[Database], str]) -> dict[str, str]:
        db = Database(self.central.database_url)
        try:
            return {"Authorization": f"Bearer {make(db)}"}
        finally:
            db.dispose()

    def close(self) -> None:
        self.http.close()
        self.counter.stop()
        self.central.stop()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, RunningClock]]:
    moment = office_hours_now(10)
    place = Office(tmp_path / "office", moment)
    try:
        yield place, RunningClock(moment)
    finally:
        place.close()


def visit(app: Any, scanner: VirtualScanner, *, consent: bool) -> str:
    """A citizen at the lobby: a field, the consent answer, the card if they agreed; the label."""
    tap(field_button(go_to_fields(app), "ho-tich"))
    assert pump(lambda: app.root.current == "id_consent")
    consent_screen = app.root.get_screen("id_consent")
    tap(consent_screen.ids.agree if consent else consent_screen.ids.decline)
    if consent:
        assert pump(lambda: app.root.current == "id_scan")
        scanner.scan(CARD)
        assert pump(lambda: app.root.current == "id_confirm")
        tap(app.root.get_screen("id_confirm").ids.correct)
    assert pump(lambda: app.root.current == "ticket")
    ticket = app.root.get_screen("ticket")
    label = ticket.label
    assert pump(lambda: app.sync_status.pending == 0, timeout=20)  # all of it at the server
    tap(ticket.ids.done)
    assert pump(lambda: app.root.current == "welcome")
    return label


def close(counter: DeviceProcess) -> None:
    """The officer ends the session, the citizen rates it, the counter's outbox is sent."""
    counter.do(
        "close", outcome="da-tiep-nhan", same_day_result=True, officer_rating={"phien-lam-viec": 1}
    )
    counter.do("rate", level=1)
    assert counter.do("sync")["pending"] == 0


def paired_browser(office: Office, browser: Any) -> None:
    """The officer's PC: the code the counter's device got, typed into /desk."""
    code = office.counter.do("desk_pairing")["code"]
    browser.get(f"{office.central.url}/desk")
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for(lambda: "Quầy 1" in browser.execute_script("return document.title"))


def page_state(browser: Any) -> str:
    return browser.execute_script("return document.getElementById('state').innerText")


def page_fields(browser: Any) -> dict[str, str]:
    """The card's fields as the page shows them (read in one go: the page redraws them)."""
    return browser.execute_script(
        "const shown = {};"
        "for (const cell of document.querySelectorAll('td[data-field]'))"
        "  if (cell.offsetParent !== null) shown[cell.dataset.field] = cell.innerText;"
        "return shown;"
    )


def test_the_card_reaches_the_officers_desk_and_is_gone_after_the_session_and_the_day(
    tmp_path: Path, office: tuple[Office, RunningClock]
) -> None:
    place, clock = office
    scanner = VirtualScanner(tmp_path / "qr-scanner")
    lobby_config = office_device_config(
        tmp_path / "lobby",
        device_id="lobby-01",
        role="lobby",
        kiosk=f'[scanner]\nmode = "serial"\nurl = "{scanner.device_path}"\n',
    )
    enrol(lobby_config, place.central)
    desk_token = place.token(
        lambda db: create_desk_token(db, office=OFFICE, counter=1, now=clock()).token
    )
    viewer = {"Authorization": f"Bearer {viewer_token(place.central.database_url, OFFICE)}"}
    desk_api = "/api/v1/offices/00637/counters/1/desk"
    try:
        with (
            running_lobby(tmp_path, config=lobby_config, clock=clock) as (app, _printer),
            chromium(1366, 768) as browser,
        ):
            paired_browser(place, browser)
            wait_for(lambda: "chưa gọi số nào" in page_state(browser))

            # A citizen who consents: the card's fields on the desk, page and API.
            label = visit(app, scanner, consent=True)
            assert place.counter.do("call_next")["label"] == label
            wait_for(lambda: page_fields(browser) == SHOWN)
            assert f"Công dân số {label}" in page_state(browser)
            assert browser.execute_script("return lines.join('\\n')") == COPY_ALL
            shots = tmp_path.parent / f"{tmp_path.name}-shots"  # outside the files searched below
            shots.mkdir(exist_ok=True)
            browser.save_screenshot(str(shots / "desk-page.png"))
            if os.environ.get("KIOSK_UPDATE_SCREENSHOTS"):  # the README's picture
                shutil.copyfile(shots / "desk-page.png", README_SCREENSHOT)
            pulled = place.http.get(desk_api, headers=desk_token).json()
            assert pulled["state"] == "card" and pulled["ticket"]["label"] == label
            assert pulled["card"]["name"] == NAME and pulled["card"]["id"] == ID_NUMBER

            # The officer scans the card at the counter: the desk shows that read.
            place.counter.do("scan_card", payload=COUNTER_CARD)
            assert place.counter.do("sync")["pending"] == 0
            wait_for(lambda: page_fields(browser).get("name") == COUNTER_NAME)
            assert "đọc tại quầy" in page_state(browser)
            assert (
                place.http.get(desk_api, headers=desk_token).json()["card"]["source"] == "counter"
            )

            # The session closes: nothing on the page, nothing from the API.
            close(place.counter)
            wait_for(lambda: "chưa gọi số nào" in page_state(browser))
            assert page_fields(browser) == {}
            assert place.http.get(desk_api, headers=desk_token).json()["state"] == "no_ticket"

            # A citizen who declines: a consent answer, and no card data on the desk.
            declined = visit(app, scanner, consent=False)
            assert place.counter.do("call_next")["label"] == declined
            wait_for(lambda: "không cung cấp dữ liệu thẻ" in page_state(browser))
            record = place.http.get(desk_api, headers=desk_token).json()
            assert (record["state"], record["card"]) == ("no_card", None)
            close(place.counter)

            day = default_rule().day_of(clock()).isoformat()
            answers = place.http.get(
                "/api/v1/offices/00637/consents", params={"day": day}, headers=viewer
            ).json()
            assert sorted(a["answer"] for a in answers["consents"]) == ["no", "yes"]
            log = place.http.get(
                "/api/v1/offices/00637/desk-access", params={"day": day}, headers=viewer
            )
            entries = log.json()["entries"]
            assert ("read_card", label) in {(e["kind"], e["label"]) for e in entries}
            assert ("read_no_card", declined) in {(e["kind"], e["label"]) for e in entries}
            assert not {NAME, ID_NUMBER, COUNTER_NAME, COUNTER_ID} & set(log.text.split('"'))
            assert NAME not in log.text and COUNTER_ID not in log.text

            # The office day ends: the server comes back a day later, the lobby's clock too.
            next_day = clock() + timedelta(days=1)
            place.central.stop()
            place.central.wrapper = starting_at(next_day)
            place.central.start()
            wait_for(lambda: not any(place.central.key_dir.rglob("*.key")), 30)
            clock.set(next_day)
            assert pump(lambda: app.store.outbox.summary()["personal_pending"] == 0)
    finally:
        scanner.close()
    place.close()  # every process stopped, its files closed
    control = tmp_path / "control.json"  # the search finds what it looks for
    control.write_text(json.dumps({"name": unicodedata.normalize("NFD", NAME)}))
    assert files_holding(tmp_path, [NAME]) == [str(control)]
    control.unlink()
    assert files_holding(tmp_path, [NAME, ID_NUMBER, ADDRESS, COUNTER_NAME, COUNTER_ID]) == []
