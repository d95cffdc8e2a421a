"""The fleet as a page the ward's or the city's technicians read: one self-contained HTML page
(no external CSS, scripts or fonts), one table per office, Vietnamese with the English beside
in smaller type. The facts are the fleet view's (central.fleet); this module only lays them out,
every text escaped. Times are each office's local time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from html import escape
from itertools import groupby

from central.fleet import Fleet, FleetDevice
from central.html_page import page_start

TITLE = ("Tình trạng thiết bị", "Device health")
ROLES = {
    "lobby": ("Máy lấy số", "ticket kiosk"),
    "counter": ("Quầy giao dịch", "counter terminal"),
    "display": ("Màn hình phòng chờ", "hall display"),
}
HEADINGS = (
    ("Thiết bị", "device"),
    ("Loại", "role"),
    ("Phiên bản", "version"),
    ("Liên lạc lần cuối", "last seen"),
    ("Tình trạng", "what is wrong"),
    ("Lỗi gần nhất", "last error"),
)
ALL_GOOD = ("Bình thường", "all good")
NEVER = ("Chưa bao giờ", "never")
NONE_ENROLLED = ("Chưa có thiết bị nào được đăng ký.", "no device enrolled")
JUST_NOW = ("vừa xong", "just now")
SILENT_RULE = (
    "Mất liên lạc: không báo cáo quá {minutes} phút",
    "silent: no report for more than {minutes} min",
)

STYLE = """
body { font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; margin: 1.5rem;
       color: #222; max-width: 1300px; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.en { color: #555; font-size: .8em; }
.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
tr.silent td { background: #fde2e1; }
tr.problem td { background: #fff4d6; }
tr.good td:nth-child(5) { color: #1b5e20; }
ul { margin: 0; padding-left: 1.1rem; }
@media print { body { margin: 0; } }
"""


def fleet_page(fleet: Fleet, zone_of: Callable[[str], tzinfo]) -> str:
    """The page of `fleet`; `zone_of(office)` is the office's time zone."""
    scope = (
        ("Tất cả đơn vị", "every office")
        if fleet.office is None
        else (f"Đơn vị {fleet.office}", f"office {fleet.office}")
    )
    silent = sum(device.silent for device in fleet.devices)
    troubled = sum(bool(device.problems) and not device.silent for device in fleet.devices)
    minutes = int(fleet.rules.silent_after.total_seconds() // 60)
    count = len(fleet.devices)
    parts = [
        *page_start(f"{TITLE[0]} – {scope[0]}", STYLE),
        f"<h1>{_both(TITLE)}</h1>",
        f'<p class="meta">{_both(scope)} · {_both((f"{count} thiết bị", f"{count} devices"))}'
        f" · {_both((f'{troubled} có vấn đề', f'{troubled} with a problem'))}"
        f" · {_both((f'{silent} mất liên lạc', f'{silent} silent'))}</p>",
        f'<p class="meta">{_both(_formatted(SILENT_RULE, minutes=minutes))}</p>',
    ]
    if not fleet.devices:
        parts.append(f"<p>{_both(NONE_ENROLLED)}</p>")
    for office, group in groupby(fleet.devices, key=lambda device: device.office):
        parts.append(_office_table(office, list(group), zone_of(office), fleet.generated_at))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _office_table(office: str, group: list[FleetDevice], zone: tzinfo, now: datetime) -> str:
    head = "".join(f"<th>{_both(heading)}</th>" for heading in HEADINGS)
    out = [
        f"<h2>{_both((f'Đơn vị {office}', f'office {office}'))}</h2>",
        "<table>",
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
    ]
    for device in group:
        kind = "silent" if device.silent else ("problem" if device.problems else "good")
        role = ROLES.get(device.role, (device.role, device.role))
        if device.counter is not None:
            role = (f"{role[0]} {device.counter}", f"{role[1]} {device.counter}")
        cells = [
            f"<td>{escape(device.device_id)}</td>",
            f"<td>{_both(role)}</td>",
            f"<td>{escape(device.version or '–')}</td>",
            f"<td>{_seen(device, zone, now)}</td>",
            f"<td>{_problems(device)}</td>",
            f"<td>{_last_error(device, zone)}</td>",
        ]
        row_id = escape(f"{office}-{device.device_id}")
        out.append(f'<tr class="{kind}" id="{row_id}">' + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _seen(device: FleetDevice, zone: tzinfo, now: datetime) -> str:
    seen = device.last_seen_at
    if seen is None:
        return _both(NEVER)
    minutes = int((now - seen).total_seconds() // 60)
    ago = (
        ("vừa xong", "just now") if minutes < 1 else (f"{minutes} phút trước", f"{minutes} min ago")
    )
    return f"{escape(_time(seen, zone))}<br>{_both(ago)}"


def _problems(device: FleetDevice) -> str:
    if not device.problems:
        return _both(ALL_GOOD)
    items = "".join(f"<li>{_both((problem.vi, problem.en))}</li>" for problem in device.problems)
    return f"<ul>{items}</ul>"


def _last_error(device: FleetDevice, zone: tzinfo) -> str:
    error = device.last_error
    if error is None:
        return "–"
    at = datetime.fromisoformat(error["at"])
    return f"{escape(_time(at, zone))}: {escape(error['message'])}"


def _time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _formatted(texts: tuple[str, str], **values: object) -> tuple[str, str]:
    return texts[0].format(**values), texts[1].format(**values)


def _both(texts: tuple[str, str]) -> str:
    """Vietnamese, then the English in smaller type."""
    vietnamese, english = texts
    return f'{escape(vietnamese)} <span class="en" lang="en">{escape(english)}</span>'
