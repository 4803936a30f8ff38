"""`python -m cxr`: one subcommand per module in `cxr.cli`.

Each command module exposes `add_parser(subparsers)` and keeps its heavy imports (torch, timm)
inside its `run(args)`, so `python -m cxr --help` and `predict` start without torch.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("data", "train", "evaluate", "sweep", "out-of-source", "trust", "lung-field", "export",
            "predict", "validate-site")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cxr",
        description="Chest X-ray research toolkit: data, training, evaluation, export, inference.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"cxr.cli.{name.replace('-', '_')}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cxr.cli.{name.replace('-', '_')}":
                raise
            continue  # not written yet
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
