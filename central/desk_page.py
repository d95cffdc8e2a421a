"""The desk page's HTML: the pairing form, and the page that shows the called citizen's card
fields with a copy button each (central.desk). Vietnamese first, the English in smaller type;
self-contained (inline style and script under a per-response nonce, nothing loaded from
elsewhere); the script polls /desk/current and never stores the data (no localStorage, no
cookies of its own)."""

from __future__ import annotations

import json
from datetime import date, tzinfo
from html import escape

from central.html_page import page_start

# The card fields in the order of the page and of "copy all" (docs/central-api.md).
FIELD_LABELS: tuple[tuple[str, str, str], ...] = (
    ("id", "Số định danh cá nhân", "Personal ID number"),
    ("old_id", "Số CMND cũ", "Old ID card number"),
    ("name", "Họ và tên", "Full name"),
    ("birth", "Ngày sinh", "Date of birth"),
    ("sex", "Giới tính", "Sex"),
    ("address", "Nơi thường trú", "Permanent address"),
    ("issued", "Ngày cấp", "Date of issue"),
)

STYLE = """
body{font-family:"Noto Sans","DejaVu Sans",sans-serif;margin:0;background:#f4f6f8;color:#1a1a1a}
header{background:#0b4f8a;color:#fff;padding:12px 24px;display:flex;align-items:center;gap:24px}
header h1{font-size:24px;margin:0;flex:1}
header form{margin:0}
main{padding:16px 24px;max-width:1100px}
.en{font-size:75%;color:#4a4a4a;font-weight:normal}
header .en{color:#e8eef5}
.state{font-size:22px;margin:4px 0 10px}
.ticket{font-size:30px;font-weight:bold}
table{border-collapse:collapse;width:100%;background:#fff;font-size:21px}
th{text-align:left;width:32%;padding:5px 12px;border-bottom:1px solid #d0d5da;font-weight:normal}
td{padding:5px 12px;border-bottom:1px solid #d0d5da;font-weight:bold}
td.copy{width:150px;text-align:right}
button{font-size:18px;padding:8px 16px;min-height:44px;border-radius:6px;border:1px solid #0b4f8a;
background:#0b4f8a;color:#fff;cursor:pointer}
button .en{color:#e8eef5}
button.light{background:#fff;color:#0b4f8a}
button.light .en,header button .en{color:#3a3a3a}
.all{margin:0 0 12px;font-size:20px}
.all .en{color:#e8eef5}
.notice{font-size:18px;color:#0a5c2a;min-height:28px}
.error{color:#a40e0e;font-size:20px}
input{font-size:28px;padding:8px 12px;width:200px;letter-spacing:4px}
textarea.clip{position:fixed;left:-9999px;top:0}
"""


def _both(vietnamese: str, english: str) -> str:
    return f'{escape(vietnamese)} <span class="en" lang="en">{escape(english)}</span>'


def _head(nonce: str, title: str) -> list[str]:
    lines = page_start(title, STYLE)
    # page_start writes a bare <style>: the nonce goes on it for the page's CSP.
    return [line.replace("<style>", f'<style nonce="{nonce}">', 1) for line in lines]


def pairing_page(nonce: str, *, problem: str | None = None) -> str:
    """The form where the officer types the code the counter terminal shows."""
    lines = _head(nonce, "Quầy — ghép máy tính")
    lines += [
        f"<header><h1>{_both('Ghép máy tính với quầy', 'Pair this computer with a counter')}"
        "</h1></header>",
        "<main>",
        "<p>"
        + _both(
            "Trên màn hình của quầy, chọn “Ghép máy tính” rồi nhập mã 6 chữ số hiện ra.",
            'On the counter terminal, choose "Pair computer" and type the 6-digit code shown.',
        )
        + "</p>",
        '<form method="post" action="/desk/pair">',
        '<label for="code">' + _both("Mã ghép", "Pairing code") + "</label><br>",
        '<input id="code" name="code" inputmode="numeric" autocomplete="off" maxlength="9" '
        'autofocus required pattern="[0-9 \\-]{6,9}">',
        '<button type="submit">' + _both("Ghép", "Pair") + "</button>",
        "</form>",
    ]
    if problem:
        lines.append(f'<p class="error" role="alert">{problem}</p>')
    lines += ["</main>", "</body>", "</html>"]
    return "\n".join(lines)


PAIRING_REFUSED = _both(
    "Mã ghép không đúng hoặc đã hết hạn. Ông/Bà lấy mã mới trên màn hình của quầy.",
    "The code is wrong or has expired. Get a new one on the counter terminal.",
)
PAIRING_THROTTLED = _both(
    "Nhập sai quá nhiều lần. Ông/Bà chờ một phút rồi thử lại.",
    "Too many wrong codes. Wait a minute and try again.",
)


def desk_page(nonce: str, *, office: str, counter: int) -> str:
    """The page of a paired computer: filled in and kept current by its script."""
    lines = _head(nonce, f"Quầy {counter} — dữ liệu thẻ căn cước")
    lines += [
        "<header>",
        "<h1>" + _both(f"Đơn vị {office} · Quầy {counter}", f"Office {office}, counter {counter}"),
        "</h1>",
        '<form method="post" action="/desk/logout"><button class="light" type="submit">'
        + _both("Đăng xuất", "Sign out")
        + "</button></form>",
        "</header>",
        "<main>",
        '<p class="state" id="state" aria-live="polite"></p>',
        '<div id="card" hidden>',
        '<p class="all"><button id="copy-all" type="button">'
        + _both("Sao chép tất cả", "Copy all")
        + "</button></p>",
        '<table><tbody id="fields"></tbody></table>',
        "</div>",
        '<p class="notice" id="notice" aria-live="polite"></p>',
        "</main>",
        f'<script nonce="{nonce}">',
        "const FIELDS = " + json.dumps(FIELD_LABELS, ensure_ascii=False) + ";",
        _SCRIPT,
        "</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(lines)


# The page's behaviour. Texts are built with textContent (never innerHTML): card data is text.
_SCRIPT = r"""
const stateBox = document.getElementById("state");
const cardBox = document.getElementById("card");
const fieldsBox = document.getElementById("fields");
const notice = document.getElementById("notice");
let shown = "";
let lines = [];

function both(parent, vi, en) {
  parent.textContent = vi + " ";
  const span = document.createElement("span");
  span.className = "en"; span.lang = "en"; span.textContent = en;
  parent.appendChild(span);
}

function day(text) {  // 1999-03-15 → 15/03/1999; 1999-03 → 03/1999; 1999 → 1999
  return text.split("-").reverse().join("/");
}

function value(name, card) {
  const raw = card[name] || "";
  if (name === "birth" || name === "issued") return day(raw);
  if (name === "sex") return raw === "M" ? "Nam" : raw === "F" ? "Nữ" : raw;
  return raw;
}

async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {  // plain http on the office network: no clipboard API there
      const area = document.createElement("textarea");
      area.className = "clip"; area.value = text;
      document.body.appendChild(area); area.select();
      const done = document.execCommand("copy");
      area.remove();
      if (!done) throw new Error("copy refused");
    }
    both(notice, "Đã sao chép.", "Copied.");
  } catch (error) {
    both(notice, "Không sao chép được: Ông/Bà chọn chữ rồi bấm Ctrl+C.",
         "Could not copy: select the text and press Ctrl+C.");
  }
}

function render(body) {
  const key = JSON.stringify([body.state, body.ticket, body.card]);
  if (key === shown) return;
  shown = key; notice.textContent = "";
  fieldsBox.textContent = ""; lines = [];
  if (body.state === "no_ticket") {
    both(stateBox, "Quầy chưa gọi số nào.", "This counter has not called a number.");
    cardBox.hidden = true; return;
  }
  const label = body.ticket.label;
  if (body.state === "no_card") {
    both(stateBox,
         "Công dân số " + label + " không cung cấp dữ liệu thẻ (từ chối hoặc không quét).",
         "The citizen with number " + label + " gave no card data (declined or not scanned).");
    cardBox.hidden = true; return;
  }
  const read = body.card.source === "counter" ? ["đọc tại quầy", "read at the counter"]
                                              : ["đọc tại ki-ốt", "read at the kiosk"];
  both(stateBox, "Công dân số " + label + " (" + read[0] + ")",
       "Citizen number " + label + " (" + read[1] + ")");
  for (const [name, vi, en] of FIELDS) {
    const text = value(name, body.card);
    lines.push(vi + ": " + text);
    if (name === "old_id" && !text) continue;
    const row = document.createElement("tr");
    const th = document.createElement("th"); both(th, vi, en);
    const td = document.createElement("td"); td.textContent = text; td.dataset.field = name;
    const cell = document.createElement("td"); cell.className = "copy";
    const button = document.createElement("button");
    button.type = "button"; button.className = "light"; button.dataset.copy = name;
    both(button, "Sao chép", "Copy");
    button.addEventListener("click", () => copyText(text));
    cell.appendChild(button);
    row.append(th, td, cell); fieldsBox.appendChild(row);
  }
  cardBox.hidden = false;
}

document.getElementById("copy-all").addEventListener("click", () => copyText(lines.join("\n")));

async function poll() {
  try {
    const reply = await fetch("/desk/current", {credentials: "same-origin", cache: "no-store"});
    if (reply.status === 401) { window.location.reload(); return; }
    if (reply.ok) render(await reply.json());
    else {
      both(stateBox, "Máy chủ chưa trả lời, đang thử lại…", "The server did not answer; retrying…");
      cardBox.hidden = true; shown = "";
    }
  } catch (error) {
    both(stateBox, "Mất kết nối máy chủ, đang thử lại…", "No connection to the server; retrying…");
    cardBox.hidden = true; shown = "";  // nothing stale stays on the screen
  }
  setTimeout(poll, 2000);
}
poll();
"""


ACCESS_KINDS = {
    "paired": ("Ghép máy tính", "Computer paired"),
    "signed_out": ("Đăng xuất", "Signed out"),
    "read_card": ("Xem dữ liệu thẻ", "Card data read"),
    "read_no_card": ("Xem, không có dữ liệu thẻ", "Read, no card data"),
}


def access_page(nonce: str, office: str, day: date, entries: list[dict], zone: tzinfo) -> str:
    """The desk's access log of an office day, for a ward leader (never the data itself)."""
    lines = _head(nonce, f"Nhật ký truy cập dữ liệu thẻ — {office} — {day:%d/%m/%Y}")
    lines += [
        "<header><h1>"
        + _both(
            f"Nhật ký truy cập dữ liệu thẻ · Đơn vị {office} · {day:%d/%m/%Y}",
            f"Card data access log, office {office}, {day:%d/%m/%Y}",
        )
        + "</h1></header>",
        "<main>",
    ]
    if not entries:
        lines.append("<p>" + _both("Không có lượt truy cập nào.", "No access.") + "</p>")
    else:
        heads = (
            ("Từ", "From"),
            ("Đến", "To"),
            ("Quầy", "Counter"),
            ("Người đọc", "Reader"),
            ("Việc", "What"),
            ("Số phiếu", "Ticket"),
            ("Số lần", "Reads"),
        )
        lines.append("<table><thead><tr>")
        lines += [f"<th>{_both(vi, en)}</th>" for vi, en in heads]
        lines.append("</tr></thead><tbody>")
        for entry in entries:
            kind = ACCESS_KINDS.get(entry["kind"], (entry["kind"], entry["kind"]))
            cells = (
                f"{entry['first_at'].astimezone(zone):%H:%M:%S}",
                f"{entry['last_at'].astimezone(zone):%H:%M:%S}",
                str(entry["counter"]),
                entry["reader"],
                None,
                entry["label"] or "",
                str(entry["reads"]),
            )
            row = [_both(*kind) if cell is None else escape(cell) for cell in cells]
            lines.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
        lines.append("</tbody></table>")
    lines += ["</main>", "</body>", "</html>"]
    return "\n".join(lines)
