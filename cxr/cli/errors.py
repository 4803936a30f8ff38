"""User errors of the command line: one line on stderr and an exit status, never a traceback.

A command raises `CliError` for input a person got wrong (a missing file, a damaged model folder,
an unwritable output) and `UsageError` for options that do not go together; `cxr.cli.main`
prints `error: <message>` and returns the status. Everything else is a bug and keeps its
traceback. The `type=` checkers below make out-of-range option values argparse usage errors
(exit 2, with the command's usage line) before anything is read or written.
"""
from __future__ import annotations

import argparse
import copy
import math
import os
import re
from pathlib import Path


class CliError(Exception):
    """A user error: `error: <message>` on stderr, exit status `code` (default 2)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


# The top-level modules of the `[train]` extra (pyproject.toml). Every command but `predict` needs
# it; the web app's install has none of them.
TRAINING_EXTRA_MODULES = frozenset({"torch", "torchvision", "timm", "onnx", "matplotlib", "pandas", "tqdm",
                                    "crepes", "h5py", "skimage", "safetensors"})
TRAINING_EXTRA_NOTE = ("Every command but predict needs the training extra (torch, pandas, matplotlib, "
                       "...): pip install '.[train]'. predict runs on the web app's install.")


def missing_training_extra(exc: ModuleNotFoundError, command: str) -> CliError | None:
    """The CliError for `command` stopped by a module of the training extra that is not
    installed (a web-only install), or None when the missing module is not one of the extra's."""
    if (exc.name or "").split(".")[0] not in TRAINING_EXTRA_MODULES:
        return None
    return CliError(f"{command} needs the training extra ({exc}): install it with "
                    "`pip install '.[train]'` (or `make install-test`)")


class UsageError(CliError):
    """Options that do not go together: shown with the command's usage line, exit 2 (as argparse)."""

    def __init__(self, message: str):
        super().__init__(message, code=2)


def _has_default(action: argparse.Action) -> bool:
    default = action.default
    return not (default is None or default is False or default is argparse.SUPPRESS
                or default == "" or default == [])


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """`--help` that gives each option's default, unless its help already says it or it has none.
    (argparse's ArgumentDefaultsHelpFormatter writes "(default: None)" and skips options without
    help text.)"""

    def _format_action(self, action: argparse.Action) -> str:
        if action.option_strings and not (action.help or "").strip() and _has_default(action):
            action = copy.copy(action)
            action.help = "default: %(default)s"
        return super()._format_action(action)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and _has_default(action) and "default" not in text.lower():
            text += " (default: %(default)s)"
        return text


class CommandParser(argparse.ArgumentParser):
    """The parser of each command (and of `data`'s actions): it records itself in the parsed
    arguments (`command_parser`), so that main() can show the right usage with a UsageError, and
    its `--help` gives each option's default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
        self.set_defaults(command_parser=self)


# --- option types -------------------------------------------------------------------------

def open_unit_interval(text: str) -> float:
    """A probability strictly between 0 and 1 (a target accuracy, a confidence level)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1 (e.g. 0.9)")
    return value


def int_at_least(minimum: int, maximum: int | None = None, why: str = ""):
    """An integer type for argparse: at least `minimum` (and at most `maximum`); `why` is added
    to the message of a value out of range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"{value} is not allowed: {allowed}{why}")
        return value

    parse.__name__ = "int"  # argparse names the type in its messages
    return parse


positive_int = int_at_least(1)
# cxr.evaluation.metrics gives no interval from fewer than 10 resamples: fewer would print
# bare numbers under a "95% CI" heading.
bootstrap_resamples = int_at_least(10, why=" (fewer bootstrap resamples give no 95% interval)")
# Pixels a side of the prepared images (the cache, training): prepare_gray needs a few pixels.
image_size = int_at_least(16, 2048, why=" pixels a side")
# A seed for numpy, torch and scikit-learn alike (scikit-learn's random_state takes 0 to 2**32 - 1).
seed = int_at_least(0, 2**32 - 1)


def float_from(low: float, high: float | None = None, *, low_included: bool = True, example: str = ""):
    """A finite number type for argparse: at least `low` (above it unless `low_included`) and
    below `high`; `example` is added to the message of a value out of range."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        too_low = value < low if low_included else value <= low
        if too_low or (high is not None and value >= high):
            allowed = f"{'at least' if low_included else 'above'} {low:g}"
            if high is not None:
                allowed += f" and below {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is not allowed: {allowed}"
                                             + (f" (e.g. {example})" if example else ""))
        return value

    parse.__name__ = "float"  # argparse names the type in its messages
    return parse


positive_float = float_from(0, low_included=False, example="1e-4")
non_negative_float = float_from(0)

def comma_separated(item, example: str):
    """A type for argparse: a comma-separated list, each value checked by the type `item`;
    `example` shows the form in the message of a wrong one."""
    def parse(text: str) -> list:
        values = [v.strip() for v in text.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r} names no value (e.g. {example})")
        try:
            return [item(v) for v in values]
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc}; give a comma-separated list such as {example}") from None

    parse.__name__ = "list"  # argparse names the type in its messages
    return parse


# What `--device` may name: torch's CPU, its CUDA GPUs (all, or one by number) and Apple's GPU.
DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def device(text: str) -> str:
    """A device for torch, checked for its form only (whether this machine has it needs torch:
    `cxr.cli.train.check_device`)."""
    if not DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a device: use auto, cpu, cuda, cuda:N "
                                         "(one GPU by number) or mps")
    return text


# --- checks on paths, made before anything is read or written ----------------------------------

def existing_file(path: Path, what: str) -> Path:
    """`path`, which must be a readable file; else a CliError naming `what`."""
    if not path.exists():
        raise CliError(f"{what} {path} does not exist")
    if not path.is_file():
        raise CliError(f"{what} {path} is not a file")
    return path


def existing_folder(path: Path, what: str) -> Path:
    """`path`, which must be a folder; else a CliError naming `what`."""
    if not path.exists():
        raise CliError(f"{what} {path} does not exist")
    if not path.is_dir():
        raise CliError(f"{what} {path} is not a folder")
    return path


def writable_folder(path: Path, what: str) -> Path:
    """A folder that exists or can be made, and can be written to: made now, or a CliError."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{what} {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".cxr-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CliError(f"cannot write to {what} {path}: {exc.strerror or exc}") from None
    return path


def folder_to_fill(path: Path, what: str) -> Path:
    """A folder a command makes (or fills) only at the end of its work, as `export` its model
    folder: not a file, and its parent writable (made now), so that the work is not lost to a
    name that was taken. The folder itself is not made."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{what} {path} is a file, not a folder")
    writable_folder(path.parent if str(path.parent) else Path("."), f"the folder of {what}")
    return path


def writable_file(path: Path, what: str) -> Path:
    """A file path whose folder exists or can be made and which is not a folder itself."""
    if path.is_dir():
        raise CliError(f"{what} {path} is a folder; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise CliError(f"cannot write to {what} {path}: permission denied")
    writable_folder(path.parent if str(path.parent) else Path("."), f"the folder of {what}")
    return path
