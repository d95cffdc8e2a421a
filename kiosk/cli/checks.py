"""`kiosk scan-test` and `kiosk check-config`: the technician's checks of the QR scanner and of
the configuration."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from kiosk.cli.registry import command

if TYPE_CHECKING:
    from kiosk.config import Config


def _scan_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scanner", default="/dev/ttyACM0", help="scanner port or URL (default /dev/ttyACM0)"
    )
    parser.add_argument(
        "--suffix",
        choices=["auto", "CR", "LF", "CRLF"],
        default="auto",
        help="the line end the scanner sends (default auto: any of them)",
    )
    parser.add_argument("--count", type=int, help="stop after N scans (default: at Ctrl-C)")


@command(
    "scan-test",
    "show, masked, what the QR scanner reads, its envelope, and how the citizen ID parser takes it",
    _scan_test_arguments,
)
def cmd_scan_test(args: argparse.Namespace, config: Config) -> int:
    from kiosk.citizen_id_scan_check import run_scan_test

    return run_scan_test(
        args.scanner,
        suffix=args.suffix,
        envelope=config.scanner.envelope_settings,
        count=args.count,
    )


@command("check-config", "validate the configuration and summarise it")
def cmd_check_config(args: argparse.Namespace, config: Config) -> int:
    from kiosk.config.shipped_defaults import shipped_secrets_in_use

    shipped = shipped_secrets_in_use(config)
    print("Configuration OK, read from:")
    for source in config.sources:
        print(f"  {source}")
    for notice in config.notices:
        print(f"Note: {notice}")
    print(
        f"Office {config.office.code} {config.office.name}; device {config.device.id} "
        f"({config.device.role}); data in {config.device.data_dir}"
    )
    if config.device.role == "display":
        print(_display_summary(config))
    else:
        print(
            f"Printer {config.printer.url} with profile {config.printer_profile.name} "
            f"({config.printer_profile.width_dots} dots)"
        )
        print(_scanner_summary(config))
    for field in config.catalogue.fields:
        print(
            f"  field {field.id}: {field.name_vi} — {field.prefix}{field.first}"
            f"..{field.prefix}{field.last}"
        )
    # Last, so that it is what stays on the terminal; on stderr too, for a script's log.
    for warning in shipped:
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


def _scanner_summary(config: Config) -> str:
    """The scanner and the envelope taken off its codes (docs/scanners.md)."""
    scanner = config.scanner
    if scanner.mode == "none":
        return "Scanner: none"
    where = f" {scanner.url}" if scanner.mode == "serial" else ""
    return (
        f"Scanner {scanner.mode}{where}: line end {scanner.suffix}, envelope {scanner.envelope},"
        f" prefix {scanner.prefix!r}, trailer {scanner.trailer!r}"
    )


def _display_summary(config: Config) -> str:
    """What a hall display shows, says and listens to."""
    speech, network = config.speech, config.office_network
    voice = "off" if not speech.enabled else f"{speech.engine} ({speech.voice})"
    if speech.enabled and speech.voice_pack is not None:
        voice += f" with the voice pack {speech.voice_pack}"
    output = (
        f"ALSA device {speech.alsa_device}"
        if speech.output == "alsa"
        else f"WAV files in {speech.virtual_dir}"
    )
    listens = (
        f"calls from the counters on UDP {network.listen}:{network.port}"
        if network.enabled
        else "no calls over the office network"
    )
    return (
        f"Hall display {config.panel.width}x{config.panel.height}: the last "
        f"{config.hall.recent_calls} calls; speech {voice} to {output}; {listens}"
    )
