"""`kiosk doctor`: every check of this device (kiosk.diagnostics) as a table, or as JSON."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import TYPE_CHECKING

from kiosk.cli.registry import command

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.diagnostics import Finding

_STATUS_WIDTH = 7
_TEXT_WIDTH = 72


def _doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check this device: configuration, database integrity, free disk, data folder, printer,"
        " scanner, device ports, enrolment, central server and TLS, clock, time"
        " synchronisation, watchdog. Read-only and safe while the kiosk runs. Exit status 0"
        " when nothing is a fault (warnings alone still give 0), 1 on any fault, 2 when the"
        " configuration cannot be read."
    )
    parser.add_argument("--json", action="store_true", help="the findings as a JSON array")
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        help="seconds each network or device check may wait (default 2)",
    )


@command("doctor", "check the device and say what is wrong and how to fix it", _doctor_arguments)
def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    from kiosk.diagnostics import CheckContext, run_checks

    findings = run_checks(config, CheckContext(timeout=args.timeout))
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        print(table(findings))
    return 1 if any(f.status == "fault" for f in findings) else 0


def table(findings: list[Finding]) -> str:
    """One block per finding: check, status and summary, then its fix indented under it."""
    width = max((len(f.check) for f in findings), default=0) + 2
    indent = " " * (width + _STATUS_WIDTH + 1)
    lines = [f"{'CHECK':<{width}}{'STATUS':<{_STATUS_WIDTH}} SUMMARY / FIX"]
    for f in findings:
        summary = textwrap.wrap(f.summary, _TEXT_WIDTH) or [""]
        lines.append(f"{f.check:<{width}}{f.status.upper():<{_STATUS_WIDTH}} {summary[0]}")
        lines += [indent + line for line in summary[1:]]
        if f.fix:
            fix = textwrap.wrap("Fix: " + f.fix, _TEXT_WIDTH)
            lines += [indent + line for line in fix]
    faults = sum(f.status == "fault" for f in findings)
    warnings = sum(f.status == "warning" for f in findings)
    lines.append(f"{_counted(faults, 'fault')}, {_counted(warnings, 'warning')}.")
    return "\n".join(lines)


def _counted(count: int, noun: str) -> str:
    """'1 fault', '2 faults', '0 faults'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
