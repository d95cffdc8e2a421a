"""The key that makes one call the same call by every path it reaches the hall display by (the
server's calls feed, a counter's datagram on the office network): `call:<session id>` for the
call that opened a session, `recall:<event id>` for each "Gọi lại" (its `ticket.recalled`
event). Shared by the devices and the server, which write and compare them."""

from __future__ import annotations


def call_key(session_id: str) -> str:
    return f"call:{session_id}"


def recall_key(event_id: str) -> str:
    return f"recall:{event_id}"
