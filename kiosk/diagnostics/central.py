"""The central server: reachable over the configured address and TLS (GET /api/v1/health with
the device's CA bundle), and the device clock against the server's time in that answer."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kiosk.central_client import (
    HEALTH_PATH,
    CentralClient,
    CentralError,
    CentralNoAnswer,
    CentralNotVerified,
    Health,
)
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.enrolment import ENROLMENT_FILE, CentralLink
from kiosk.i18n import N_
from kiosk.server_clock import ServerClock

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "central"
CLOCK = "clock"


def check(config: Config, context: CheckContext) -> list[Finding]:
    """The "central" finding and, when the server answered, the "clock" one."""
    if not (config.device.data_dir / ENROLMENT_FILE).exists():
        return []  # not enrolled: the enrolment check says so
    quick = dataclasses.replace(
        config, central=dataclasses.replace(config.central, timeout=context.timeout)
    )
    link = CentralLink(quick)
    try:
        client = link.current()
        if client is None:
            return [
                warning(
                    CHECK,
                    Text(N_("Not checked: {problem}"), {"problem": link.problem}),
                    Text(N_("Enrol the device: kiosk enroll --api URL --code CODE.")),
                )
            ]
        return _ask(client, config, context)
    finally:
        link.close()


# How each failure to reach the server is said, and its fix, the most precise first.
_FAILURES: tuple[tuple[type[CentralError], str, str], ...] = (
    (
        CentralNotVerified,
        N_("Bad TLS certificate: {error}"),
        N_(
            "Give the CA bundle that signed the server's certificate ([central] ca_bundle, or"
            " kiosk enroll --ca-bundle) and check that the certificate is valid today and names"
            " the server's host."
        ),
    ),
    (
        CentralNoAnswer,
        N_("No answer: {error}"),
        N_("Check the network cable or Wi-Fi and that the server runs: curl {url}"),
    ),
    (
        CentralError,
        N_("The server answers but fails: {error}"),
        N_("Tell the central server's administrators."),
    ),
)


def _ask(client: CentralClient, config: Config, context: CheckContext) -> list[Finding]:
    url = client.base_url + HEALTH_PATH
    detail = {"url": url}
    try:
        health = client.health()
    except CentralError as error:
        summary, fix = next((s, f) for kind, s, f in _FAILURES if isinstance(error, kind))
        said = {"error": str(error)}
        return [fault(CHECK, Text(summary, said), Text(fix, {"url": url}), {**detail, **said})]
    reached = ok(
        CHECK,
        N_("{url} answered in {ms} ms."),
        {**detail, "round_trip_s": health.round_trip},
        url=url,
        ms=round(health.round_trip * 1000),
    )
    return [reached, clock_finding(health, config.central.clock_margin, context)]


def clock_finding(health: Health, margin: float, context: CheckContext) -> Finding:
    """The device clock against the server's time (corrected by half the round trip)."""
    if health.server_time is None:
        return warning(
            CLOCK,
            Text(N_("The server did not say its time: the device clock was not compared.")),
        )
    measured = ServerClock(margin, context.clock)
    measured.observe(health.server_time, health.round_trip)
    offset = measured.offset() or 0.0
    detail = {"offset_s": round(offset, 1), "margin_s": margin}
    if abs(offset) <= margin:
        return ok(
            CLOCK,
            N_("The device clock agrees with the server's (within {seconds} s)."),
            detail,
            seconds=max(1, round(abs(offset))),
        )
    words = (
        N_("The device clock is {minutes} min slow against the server's.")
        if offset > 0
        else N_("The device clock is {minutes} min fast against the server's.")
    )
    return fault(
        CLOCK,
        Text(words, {"minutes": round(abs(offset) / 60)}),
        Text(
            N_(
                "Turn on time synchronisation (timedatectl set-ntp true) and let the device"
                " reach an NTP server; until then tickets are dated by the server's clock."
            )
        ),
        detail,
    )
