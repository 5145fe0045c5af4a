"""`python -m bot <command>`: the argparse dispatcher over the command modules in COMMANDS.

Each module bot/cli/<name>.py has `register(subparsers)` (adds its parser and sets `func`) and
`run(args) -> int`. Settings are loaded once, before any command runs, and handed over as
`args.settings`. Operator errors print one line and exit 2; there is never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType

from bot.errors import OperatorError
from bot.logs import configure_logging, mask_secrets
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

COMMANDS = ("db", "serve", "worker", "console", "demo", "settlement", "directory", "audit",
            "archive", "calendar", "retention", "report", "webhook", "company", "digest")
FAILED = 2


class CommandError(OperatorError):
    """A command cannot do what was asked; the message says why and what to do instead."""


def _command_modules(argv: Sequence[str]) -> dict[str, ModuleType]:
    """The command modules to build the parser from: only the one named, when one is (a module
    may pull in SDKs that take seconds to load, and a worker should start polling soon); all of
    them for the overall help and the default job."""
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    names = [named] if named in COMMANDS else COMMANDS
    return {name: importlib.import_module(f"bot.cli.{name}") for name in names}


def build_parser(modules: Mapping[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="offboard-bot: employee separation cases run in chat. Without a command: "
        "migrate the database, then open the console (or serve, once chat credentials are set).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for module in modules.values():
        module.register(subparsers)
    return parser


def _default_commands(settings: Settings) -> list[list[str]]:
    """The embedded default: migrate, then the console, or the web server for chat platforms."""
    main_job = ["serve"] if settings.chat_platforms() else ["console"]
    return [["db", "upgrade"], main_job]


def _run(args: argparse.Namespace, settings: Settings) -> int:
    args.settings = settings
    return args.func(args)


def main(argv: Sequence[str] | None = None) -> int:
    modules = _command_modules(sys.argv[1:] if argv is None else argv)
    parser = build_parser(modules)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.LOG_LEVEL)
        mask_secrets(settings.secret_values())
        if args.command is not None:
            return _run(args, settings)
        for command in _default_commands(settings):
            if command[0] not in modules:
                raise CommandError(f"`python -m bot {command[0]}` is not available yet")
            status = _run(parser.parse_args(command), settings)
            if status != 0:
                return status
        return 0
    except OperatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # Unexpected: the traceback goes to the log at DEBUG, the operator gets one line.
        log.debug("command failed", exc_info=True)
        print(f"error: {type(error).__name__}: {error} (LOG_LEVEL=DEBUG shows the details)",
              file=sys.stderr)
        return FAILED
