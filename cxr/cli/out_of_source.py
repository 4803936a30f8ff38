"""`python -m cxr out-of-source`: every image read by a model that never saw its source.

Trains one model per source group with that group held out (the shipped model's recipe by
default options), and writes the held-out logits and features that calibration, abstention,
prediction sets and the familiarity warning are fitted on (see cxr.training.out_of_source).
Resumable: run it again after an interruption and finished folds are skipped.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from cxr.cli.errors import CliError, UsageError, existing_file, positive_float, positive_int
from cxr.cli.train import (
    add_train_options,
    architecture,
    check_device,
    check_train_options,
    config_from_args,
)


def held_out_group(text: str) -> str:
    """NAME=SOURCE[,SOURCE] (cxr.training.out_of_source.parse_groups reads it), kept as typed."""
    name, _, sources = text.partition("=")
    if not name.strip() or not any(s.strip() for s in sources.split(",")):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=SOURCE[,SOURCE] "
                                         "(e.g. kermany=skytells,zargari)")
    return text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "out-of-source", help="train one model per held-out source group and record its readings")
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--shared", type=Path, help="the project's shared set (folder with manifest.csv)")
    data.add_argument("--index", type=Path, help="an index CSV from `python -m cxr data import`")
    parser.add_argument("--group", type=held_out_group, action="append", default=[],
                        metavar="NAME=SOURCE[,SOURCE]",
                        help="a held-out group (repeat); default: cohen, nih, kermany, raddb")
    parser.add_argument("--folds", metavar="NAME[,NAME]",
                        help="run only these groups' folds (several processes at once); the CSV "
                             "is written by the run that finds every fold done")
    parser.add_argument("--task", choices=["3class", "binary"], default="3class")
    parser.add_argument("--arch", type=architecture, default="EfficientNet-Lite0")
    parser.add_argument("--lr", type=positive_float, default=1e-4)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--out", type=Path, required=True, help="folder of the folds (resumable)")
    add_train_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_train_options(args)
    if args.shared:
        existing_file(args.shared / "manifest.csv", "--shared: the shared set's manifest")
    else:
        existing_file(args.index, "--index")
    from cxr.data import index as idx
    from cxr.training.out_of_source import (
        DEFAULT_GROUPS,
        ProtocolMismatch,
        parse_groups,
        run_out_of_source,
    )

    check_device(args.device)
    groups = parse_groups(args.group) if args.group else DEFAULT_GROUPS
    only = [f for f in args.folds.split(",") if f] if args.folds else None
    unknown = [f for f in only or () if f not in groups]
    if unknown:
        raise UsageError(f"--folds {','.join(unknown)}: not a held-out group (the groups: "
                         f"{', '.join(groups)})")
    try:
        frame = idx.import_shared_manifest(args.shared) if args.shared else idx.read_index(args.index)
    except (ValueError, KeyError) as exc:  # not an index, a manifest without the shared set's columns
        raise CliError(f"{args.shared or args.index}: {exc}") from None
    frame = idx.task_frame(frame, args.task)
    # Every image is read by a model that never saw its source: each source needs its group.
    grouped = {source for sources in groups.values() for source in sources}
    missing = sorted(set(frame["source"]) - grouped)
    if missing:
        raise CliError(f"sources in no held-out group: {', '.join(missing)}; add them to a --group")
    config = config_from_args(args, split_csv="", out_dir="")
    try:
        path = run_out_of_source(frame, args.out, config, groups, root=args.shared, only=only)
    except ProtocolMismatch as exc:  # found before any fold trains
        raise CliError(str(exc)) from None
    print(f"out-of-source predictions: {path}" if path else "out-of-source folds done; others still running")
    return 0
