"""`kiosk run` and `kiosk demo`: the commands that start an app (kiosk.roles picks it).

The only part of the command line that imports Kivy, and only once an app starts, after
KIVY_ENV is set.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.registry import CommandError, command
from kiosk.roles import ROLES, app_class

if TYPE_CHECKING:
    from kiosk.config import Config

KIVY_ENV = {
    "KIVY_NO_ARGS": "1",  # Kivy must not read our command line (it would eat --help)
    "KIVY_NO_CONFIG": "1",  # no ~/.kivy/config.ini: our config is in config/ and /etc/kiosk
    "KIVY_NO_FILELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
}


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, help="override the device role")


@command("run", "run the kiosk app on this device's hardware", _run_arguments, starts_app=True)
def cmd_run(args: argparse.Namespace, config: Config) -> int:
    if args.role:
        config = dataclasses.replace(
            config, device=dataclasses.replace(config.device, role=args.role)
        )
    return _run_app(config, verbose=args.verbose)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="data folder (default: a new temporary one)")
    parser.add_argument("--size", default=None, help="window size WxH, e.g. 800x480")
    parser.add_argument("--baud", type=int, default=115200, help="virtual printer speed")
    parser.add_argument(
        "--office-hours",
        action="store_true",
        help="keep the configured opening hours (by default the demo lobby issues tickets at"
        " any hour, as a 24-hour site)",
    )
    parser.add_argument(
        "--no-counter",
        dest="counter",
        action="store_false",
        help="without counter 1's terminal (by default it opens in a second window, 800x480)",
    )


@command(
    "demo",
    "central server, lobby kiosk (virtual printer and scanner) and counter 1 in a"
    " temporary data folder",
    _demo_arguments,
    starts_app=True,
)
def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from devices.virtual_printer import VirtualPrinter
    from devices.virtual_scanner import VirtualScanner
    from kiosk.demo import DemoCentral, DemoError, start_demo_counter
    from kiosk.enrollment import EnrolmentError
    from kiosk.services import open_device_data

    data_dir = args.data or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    display = config.display
    if args.size:
        try:
            width, height = (int(part) for part in args.size.lower().split("x"))
        except ValueError:
            raise CommandError(
                f"--size {args.size}: write it as WIDTHxHEIGHT, e.g. 800x480"
            ) from None
        display = dataclasses.replace(display, width=width, height=height, fullscreen=False)
    office = config.office
    if not args.office_hours:
        office = dataclasses.replace(office, closed_outside_hours=False)
    config = dataclasses.replace(
        config,
        office=office,
        device=dataclasses.replace(config.device, data_dir=data_dir, role="lobby"),
        display=display,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    central = DemoCentral(
        data_dir, config.office.timezone.key, f"{config.office.day_starts_at:%H:%M}"
    )
    try:
        central.start()
        central.enrol(config)
    except (DemoError, EnrolmentError) as error:
        central.stop()
        raise CommandError(f"The demo's central server: {error}") from error
    printer = VirtualPrinter(
        data_dir / "printed", width_dots=config.printer_profile.width_dots, baud=args.baud
    )
    printer.start()
    scanner = VirtualScanner()
    config = dataclasses.replace(
        config,
        scanner=dataclasses.replace(config.scanner, mode="serial", url=scanner.device_path),
    )
    counter = None
    if args.counter:
        # The lobby's device key must exist before the counter imports it.
        open_device_data(config).close()
        counter = start_demo_counter(config, central, data_dir / "counter", (800, 480))
    print(
        f"Demo data folder: {data_dir}\n"
        f"Central server on {central.url} (database {data_dir / 'central.db'}); "
        f"the kiosk is enrolled as {config.device.id} of office {config.office.code}\n"
        f"Virtual printer on {printer.device_path}; printed tickets go to {data_dir / 'printed'}\n"
        "Keys: F5 paper out on/off, F6 cover open/closed, F7 printer offline/online, "
        "F8 printer stalled/running, F9 central server down/up, F10 the virtual scanner reads "
        "the next sample ID card (on the card step). "
        + ("Counter 1: officer PIN 1111 or 2222 (demo officers). " if args.counter else "")
        + "Technician menu: hold the status line for 3 s (PIN 246810).",
        flush=True,
    )
    try:
        return _run_app(
            config,
            printer_url=printer.device_path,
            verbose=args.verbose,
            demo_printer=printer,
            demo_central=central,
            demo_scanner=scanner,
        )
    finally:
        scanner.close()
        if counter is not None:
            counter.terminate()
            try:
                counter.wait(10)
            except subprocess.TimeoutExpired:
                counter.kill()
        printer.stop()
        central.stop()


def _run_app(config: Config, *, verbose: bool, **app_options: Any) -> int:
    """Start the app of the device's role; `app_options` go to it (the demo's virtual devices)."""
    from kiosk.logging_setup import configure_logging
    from kiosk.services import DataUnavailable, open_device_data

    try:
        data = open_device_data(config)
    except DataUnavailable as error:
        raise CommandError(str(error)) from error
    configure_logging(config.device.data_dir / "logs", verbose=verbose)
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_DPI", str(config.display.dpi))
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")
    KivyConfig.set("graphics", "width", str(config.display.width))
    KivyConfig.set("graphics", "height", str(config.display.height))
    from kiosk.app_base import configure_window

    logging.getLogger("kivy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    configure_window(config)
    app = app_class(config.device.role)(config, data, **app_options)
    # systemctl stop / kill: stop like a closed window, so the workers finish and children end.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: app.stop())
    app.run()
    return 0
