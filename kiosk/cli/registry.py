"""The registry of `kiosk` commands: each technician task's module registers its commands here
by name, and kiosk.cli builds the command line from it. Also the error a command fails with."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import Config

Handler = Callable[[argparse.Namespace, "Config"], int]
AddArguments = Callable[[argparse.ArgumentParser], None]
# What a command does when the configuration cannot be read, given the error's text; returns
# the exit code (without one: exit 2).
ConfigErrorHandler = Callable[[argparse.Namespace, str], int]


class CommandError(Exception):
    """A failure to report in one sentence (exit code 1)."""


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a command with only the common options (--config, --verbose)."""


@dataclass(frozen=True)
class Command:
    help: str  # its line in `kiosk --help`
    add_arguments: AddArguments  # its own options, added to its subparser
    handler: Handler  # runs it with the parsed options and the loaded configuration
    starts_app: bool  # run, demo: the app sets up logging itself, not the one-off way
    on_config_error: ConfigErrorHandler | None = None


COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    help: str,
    add_arguments: AddArguments = no_arguments,
    *,
    starts_app: bool = False,
    on_config_error: ConfigErrorHandler | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as `kiosk NAME`."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise ValueError(f"two commands are named {name!r}")
        COMMANDS[name] = Command(help, add_arguments, handler, starts_app, on_config_error)
        return handler

    return register
