"""The frame of the server's self-contained HTML pages (the report page, the fleet page):
Vietnamese, UTF-8, the page's own inline style, nothing loaded from elsewhere."""

from __future__ import annotations

from html import escape


def page_start(title: str, style: str) -> list[str]:
    """The lines up to and including <body>; `title` is escaped here."""
    return [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
    ]
