"""Kiosk devices of the tests, each in a folder of its own: `etc/`, an /etc/kiosk-like folder of
overrides over the shipped configuration, and `data/`, its data folder. A Device is the store and
personal data the app opens there, enrolled with a central server and synced as
`kiosk enroll` and `kiosk sync --once` do."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Config, load_config
from kiosk.enrolment import CentralLink, Enrolment, enroll, load_enrolment
from kiosk.personal_data import open_personal_data
from kiosk.store import Store
from kiosk.sync import OutboxSender
from tests.support.central import CentralProcess, CentralServer, issue_enroll_code

OFFICE = "00637"  # the shipped configuration's office
DEVICE = "lobby-01"  # and device

SMALL_CATALOGUE = """
[priority]
enabled = true

[[fields]]
id = "alpha"
name_vi = "Hộ tịch"
name_en = "Civil status"
colour = "#1565C0"
prefix = "A"
first = 1
last = 3
digits = 3

[[fields]]
id = "beta"
name_vi = "Chứng thực"
name_en = "Certification"
colour = "#2E7D32"
prefix = ""
first = 500
last = 999
digits = 3
"""


def write_override(
    folder: Path,
    *,
    kiosk: str = "",
    catalogue: str | None = None,
    printers: str | None = None,
    officers: str | None = None,
    rating: str | None = None,
) -> Path:
    """An /etc/kiosk-like folder. kiosk.toml always points data_dir into the test folder."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder.parent / "data"
    data_line = f'data_dir = "{data_dir}"\n'
    if "[device]\n" in kiosk:
        kiosk = kiosk.replace("[device]\n", "[device]\n" + data_line, 1)
    else:
        kiosk = f"[device]\n{data_line}\n{kiosk}"
    (folder / "kiosk.toml").write_text(kiosk, encoding="utf-8")
    files = {
        "catalogue.toml": catalogue,
        "printers.toml": printers,
        "officers.toml": officers,
        "rating.toml": rating,
    }
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def device_config(
    folder: Path,
    central: str = "",
    *,
    kiosk: str = "",
    catalogue: str | None = None,
    officers: str | None = None,
    rating: str | None = None,
) -> Config:
    """The shipped configuration with the overrides in folder/etc (`central`: [central] keys)
    and data in folder/data."""
    text = kiosk + (f"[central]\n{central}\n" if central else "")
    return load_config(
        write_override(
            folder / "etc", kiosk=text, catalogue=catalogue, officers=officers, rating=rating
        )
    )


def small_config(folder: Path) -> Config:
    """The shipped configuration with a two-field catalogue whose first range is tiny."""
    return device_config(folder, catalogue=SMALL_CATALOGUE)


def enrol(
    config: Config,
    central: CentralServer | CentralProcess,
    *,
    counter: int | None = None,
    ca_bundle: Path | None = None,
) -> Enrolment:
    """Enrol the configured device with the central server, as `kiosk enroll` does."""
    code = issue_enroll_code(
        central.database_url,
        OFFICE,
        config.device.role,
        counter=counter,
        device_id=config.device.id,
    )
    return enroll(config, api_url=central.url, code=code, ca_bundle=ca_bundle)


class Device:
    """One kiosk device of a test, as the app assembles it: its configuration, and its store and
    personal data in the configured data folder."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.device.data_dir / "kiosk.db")
        self.personal = open_personal_data(self.store, config.device.data_dir, config.office)

    def enrol(self, central: CentralServer | CentralProcess, *, counter: int | None = None) -> None:
        enrol(self.config, central, counter=counter)

    def sync(self) -> dict[str, int]:
        """Send the whole outbox now; the server's verdicts counted. Fails if it cannot."""
        link = CentralLink(self.config)
        client = link.current()
        assert client is not None, link.problem
        sender = OutboxSender(self.store, self.personal, 500)
        counts = {"accepted": 0, "duplicates": 0, "quarantined": 0}
        try:
            while (report := sender.send_batch(client)) is not None:
                counts["accepted"] += report.accepted
                counts["duplicates"] += report.duplicates
                counts["quarantined"] += len(report.quarantined)
        finally:
            link.close()
        assert self.store.outbox.summary()["pending"] == 0
        return counts

    def token(self) -> str:
        enrolment = load_enrolment(self.config.device.data_dir)
        assert enrolment is not None
        return enrolment.token

    def close(self) -> None:
        self.store.close()
