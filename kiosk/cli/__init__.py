"""The `kiosk` command line: run the app, the demo, and the technician's tools.

Each technician task has its module here, which registers its commands (kiosk.cli.registry);
this one builds the parser from the registry and runs the command. Every failure a technician
can meet (bad config, busy printer, unknown ticket) ends in one plain sentence on stderr and a
non-zero exit code, never a traceback (a storage fault is named: kiosk.storage_faults). Only
`run` and `demo` import Kivy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from common.closed_pipe import quiet_closed_pipe
from common.version import __version__
from kiosk.cli.registry import COMMANDS, CommandError
from kiosk.config import ConfigError, load_config
from kiosk.data_owner import as_data_owner
from kiosk.storage_faults import for_the_technician
from kiosk.store import StoreError

# The modules of kiosk.cli that register commands, in the order `kiosk --help` lists them.
TASKS = (
    "run",
    "provision",
    "printer",
    "central",
    "checks",
    "doctor",
    "keys",
    "speech",
    "consent",
)


def add_common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """--config and --verbose, accepted before or after the command name."""
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="override folder (kiosk.toml, catalogue.toml, printers.toml) or kiosk.toml file; "
        "default /etc/kiosk",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log debug messages"
    )


def build_parser() -> argparse.ArgumentParser:
    for task in TASKS:
        importlib.import_module(f"kiosk.cli.{task}")
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Ward one-stop office kiosk: queue tickets on a thermal printer.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    add_common_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, parents=[common], help=command.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = COMMANDS[args.command]
    if not command.starts_app:
        # One-off commands report failures themselves, in one sentence; -v shows the driver's log.
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.ERROR,
            format="%(levelname)s %(name)s: %(message)s",
        )
    try:
        config = load_config(args.config)
        with as_data_owner(config.device.data_dir):
            return command.handler(args, config)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        if command.on_config_error is None:
            return 2
        return command.on_config_error(args, str(error))
    except StoreError as error:  # the database failed under a command: the fault, by name
        print(for_the_technician(error, config.device.data_dir), file=sys.stderr)
        return 1
    except CommandError as error:
        print(str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of a pipe stopped early
        return quiet_closed_pipe()
