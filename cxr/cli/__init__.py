"""`python -m cxr`: one subcommand per module in `cxr.cli`.

Each command module exposes `add_parser(subparsers)` and keeps its heavy imports (torch, timm)
inside its `run(args)`, so `python -m cxr --help` and `predict` start without torch.

User errors end in a non-zero exit status, never a traceback: a command raises
`cxr.cli.errors.CliError` (or `UsageError` for options that do not go together) and main() prints
it as one `error: ...` line; an unknown option or an out-of-range option value is argparse's, which
prints the command's usage line and then `python -m cxr COMMAND: error: ...` (status 2). A command stopped by a missing module of the `[train]` extra (a web-only
install) ends the same way, with status 2, naming the module and how to install the extra. Output cut short by its reader (`... | head -1`) ends quietly with status 141
(128 + SIGPIPE, as the shell reports a command killed by it); Ctrl-C ends with one line and
status 130.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from cxr.cli.errors import (
    TRAINING_EXTRA_NOTE,
    CliError,
    CommandParser,
    UsageError,
    missing_training_extra,
)

COMMANDS = ("data", "train", "evaluate", "recount-intervals", "sweep", "out-of-source", "trust",
            "lung-field", "export", "predict", "validate-site")
WEB_INSTALL_COMMANDS = ("predict",)  # the rest need the [train] extra
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE
EXIT_INTERRUPTED = 128 + 2  # SIGINT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cxr",
        description="Chest X-ray research toolkit: data, training, evaluation, export, inference.",
        epilog=TRAINING_EXTRA_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help="the toolkit's version (of the installed cxr-screening package)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                       parser_class=CommandParser)
    for name in COMMANDS:
        importlib.import_module(f"cxr.cli.{name.replace('-', '_')}").add_parser(subparsers)
    for name, command in subparsers.choices.items():
        if name not in WEB_INSTALL_COMMANDS:
            _say_it_needs_the_training_extra(command)
    return parser


def _version() -> str:
    """The installed package's version (pyproject.toml), or why there is none."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxr-screening")
    except PackageNotFoundError:
        return "unknown (cxr-screening is not installed: pip install -e .)"


def _say_it_needs_the_training_extra(parser: argparse.ArgumentParser) -> None:
    """The command's --help (and that of each of its actions, as `data import`) says so."""
    parser.epilog = "Needs the training extra: pip install '.[train]'."
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _say_it_needs_the_training_extra(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        command = getattr(args, "command_parser", None)
        if command is not None:
            command.print_usage(sys.stderr)
        print(f"{command.prog if command else 'python -m cxr'}: error: {exc}", file=sys.stderr)
        return exc.code
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except ModuleNotFoundError as exc:
        error = missing_training_extra(exc, _command_name(args))
        if error is None:
            raise  # not the extra's: a bug, with its traceback
        print(f"error: {error}", file=sys.stderr)
        return error.code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _command_name(args: argparse.Namespace) -> str:
    """`data import`, `train`, ...: the command as typed, for a message."""
    return " ".join(filter(None, (args.command, getattr(args, "action", None))))


def _discard_stdout() -> None:
    """The reader of stdout has gone: point stdout at /dev/null so that Python's final flush
    does not fail a second time (the recipe of the `signal` module's documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind sys.stdout (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
