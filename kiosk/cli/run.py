"""`kiosk run` and `kiosk demo`: the commands that start an app (kiosk.roles names it).

Neither imports Kivy: the app starts in apps.launch, reached by name, so that the command line
stays below the apps in the layers.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.registry import CommandError, command
from kiosk.config import load_config
from kiosk.roles import LAUNCHER, ROLES

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.demo import DemoTwins

CONFIG_CHECK_SECONDS = 2.0  # how often the error screen reads the configuration again


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, help="override the device role")


def _show_config_error(args: argparse.Namespace, message: str) -> int:
    """`kiosk run` with a configuration it cannot read: the error on the device's screen until
    the files are fixed, then exit 0 (systemd starts the kiosk again); exit 2 (no restart,
    RestartPreventExitStatus=2) when stopped first or when no screen can show it."""
    launcher = importlib.import_module(LAUNCHER)
    reload = functools.partial(load_config, args.config)
    if launcher.show_config_error(message, reload, CONFIG_CHECK_SECONDS):
        print("The configuration can be read now; the kiosk starts again.", file=sys.stderr)
        return 0
    return 2


@command(
    "run",
    "run the kiosk app on this device's hardware",
    _run_arguments,
    starts_app=True,
    on_config_error=_show_config_error,
)
def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The app of the device's role; the setup app on a device never provisioned, and once
    it is, `kiosk run` again in this process (exec), which finds the role now set."""
    from kiosk.config.site_writer import is_provisioned

    if args.role:
        config = dataclasses.replace(
            config, device=dataclasses.replace(config.device, role=args.role)
        )
    elif not is_provisioned(args.config):
        provisioned = _run_setup(config, args)
        if provisioned is None:
            return 1  # no screen: systemd restarts it, and a panel connected later is found
        if provisioned:
            os.execv(sys.executable, [sys.executable, "-m", "kiosk", *sys.argv[1:]])
        return 0
    return _run_app(config, verbose=args.verbose)


def _run_setup(config: Config, args: argparse.Namespace) -> bool | None:
    """The setup app (apps.launch.run_setup); whether the device is now provisioned, None
    when there is no screen to show it on."""
    from kiosk.logging_setup import configure_logging
    from kiosk.services import DataUnavailable, prepare_data_folder

    try:
        prepare_data_folder(config.device.data_dir)  # the enrolment is kept there
    except DataUnavailable as error:
        raise CommandError(str(error)) from error
    configure_logging(
        config.device.data_dir / "logs", verbose=args.verbose, timezone=config.office.timezone
    )
    launcher = importlib.import_module(LAUNCHER)
    return launcher.run_setup(config, args.config, verbose=args.verbose)


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
        help="without counter 1's terminal (by default it opens in a second window, 800x480,"
        " to the right of the lobby's)",
    )
    parser.add_argument(
        "--no-display",
        dest="display",
        action="store_false",
        help="without the hall display (by default it opens under counter 1's window, scaled"
        " to the room left on the screen)",
    )


@command(
    "demo",
    "central server, lobby kiosk (virtual printer and scanner), counter 1 and the hall display"
    " in a temporary data folder",
    _demo_arguments,
    starts_app=True,
)
def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from kiosk.demo import DemoError, DemoTwins, announcements_dir, guide
    from kiosk.demo_layout import arrange, screen_size
    from kiosk.enrolment import EnrolmentError

    data_dir = args.data or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    panel = config.panel
    if args.size:
        try:
            width, height = (int(part) for part in args.size.lower().split("x"))
        except ValueError:
            raise CommandError(
                f"--size {args.size}: write it as WIDTHxHEIGHT, e.g. 800x480"
            ) from None
        panel = dataclasses.replace(panel, width=width, height=height, fullscreen=False)
    if not panel.fullscreen:
        panel = dataclasses.replace(panel, left=0, top=0)  # counter 1 opens to its right
    layout = arrange((panel.width, panel.height), screen_size())
    office = config.office
    if not args.office_hours:
        office = dataclasses.replace(office, closed_outside_hours=False)
    config = dataclasses.replace(
        config,
        office=office,
        device=dataclasses.replace(config.device, data_dir=data_dir, role="lobby"),
        panel=panel,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        twins, config = DemoTwins.start(
            config,
            baud=args.baud,
            layout=layout,
            with_counter=args.counter,
            with_display=args.display,
        )
    except (DemoError, EnrolmentError) as error:
        raise CommandError(f"The demo's central server: {error}") from error
    print(
        f"Demo data folder: {data_dir}\n"
        f"Central server on {twins.central.url} (database {data_dir / 'central.db'}); "
        f"the kiosk is enrolled as {config.device.id} of office {config.office.code}\n"
        f"Virtual printer on {twins.printer.device_path}; printed tickets go to "
        f"{data_dir / 'printed'}\n"
        "Keys: F5 paper out on/off, F6 cover open/closed, F7 printer offline/online, "
        "F8 printer stalled/running, F9 central server down/up, F10 the virtual scanner reads "
        "the next sample ID card (on the card step). "
        + ("Counter 1: officer PIN 1111 or 2222 (demo officers). " if args.counter else "")
        + "Technician menu: hold the status line for 3 s (PIN 246810).\n"
        + (
            f"Hall display: calls are shown there and announced into {announcements_dir(config)}"
            " (WAV files; this machine's speaker is not used).\n"
            if args.display
            else ""
        )
        + (
            ""
            if layout.fits
            else f"Note: the screen ({layout.screen[0]}x{layout.screen[1]}) is too small for the"
            " three windows side by side; some reach past its edge (--size 800x480 or"
            " --no-display make room).\n"
        )
        + guide(config, twins.central, twins.counter_config, twins.display_config),
        flush=True,
    )
    try:
        return _run_app(config, verbose=args.verbose, demo=twins)
    finally:
        twins.stop()


def _run_app(config: Config, *, verbose: bool, demo: DemoTwins | None = None) -> int:
    """Start the app of the device's role in a window (apps.launch, reached by name so that
    nothing here imports Kivy); `demo` binds the demo's keys beside it."""
    from kiosk.logging_setup import configure_logging
    from kiosk.services import DataUnavailable, open_device_data

    try:
        data = open_device_data(config)
    except DataUnavailable as error:
        if demo is not None or error.fault is None:
            raise CommandError(str(error)) from error
        return _show_storage_fault(config, error)
    configure_logging(
        config.device.data_dir / "logs", verbose=verbose, timezone=config.office.timezone
    )
    return importlib.import_module(LAUNCHER).run_app(config, data, verbose=verbose, demo=demo)


def _show_storage_fault(config: Config, error: Exception) -> int:
    """`kiosk run` on a device whose data cannot be used (a damaged database, a card gone
    read-only, a full disk; kiosk.storage_faults names it): the fault on the device's screen until
    the data opens, then exit 0 (systemd starts the kiosk again); exit 1 with the sentence when
    no screen can show it. Nothing is deleted: the outbox may hold undelivered events."""
    from kiosk.services import open_device_data

    print(str(error), file=sys.stderr)

    def reopen() -> None:
        open_device_data(config).close()

    launcher = importlib.import_module(LAUNCHER)
    if launcher.show_storage_fault(config, str(error), reopen, CONFIG_CHECK_SECONDS):
        print("The device's data can be used now; the kiosk starts again.", file=sys.stderr)
        return 0
    return 1
