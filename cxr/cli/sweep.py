"""`python -m cxr sweep`: the paper's grid of runs, resumable, with Tables I-IV (see cxr.training.sweep)."""
from __future__ import annotations

import argparse
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    UsageError,
    bootstrap_resamples,
    comma_separated,
    positive_float,
    positive_int,
)
from cxr.cli.train import add_train_options, check_device, check_split_csv, check_train_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="train and evaluate architectures x learning rates x batch sizes"
    )
    parser.add_argument("--split-csv", type=Path,
                        help="from `python -m cxr data split` (needed unless --tables-only names --out)")
    parser.add_argument("--archs", help="comma-separated paper names (default: the paper's 11)")
    parser.add_argument("--lrs", type=comma_separated(positive_float, "1e-4,1e-6"), default=[1e-4, 1e-6],
                        help="comma-separated learning rates (default: 1e-4,1e-6)")
    parser.add_argument("--batch-sizes", type=comma_separated(positive_int, "16,32"), default=[16, 32],
                        help="comma-separated batch sizes (default: 16,32)")
    parser.add_argument("--out", type=Path,
                        help="sweep folder (default: runs/sweep-<split name>); rerun to resume")
    parser.add_argument("--n-boot", type=bootstrap_resamples, default=1000,
                        help="bootstrap resamples for the 95%% CIs (at least 10)")
    parser.add_argument("--tables-only", action="store_true",
                        help="only rewrite tables.md from the runs finished so far")
    parser.add_argument("--plan-only", action="store_true",
                        help="record the grid in sweep.json (its rows show as not run) and write "
                             "the tables, training nothing")
    parser.add_argument("--concurrent", type=positive_int, default=1, metavar="N",
                        help="train N runs at once, one process each (a GPU has room for several)")
    parser.add_argument("--resident", choices=["auto", "yes", "no"], default="auto",
                        help="keep the training images on the device as uint8 (auto: on a GPU)")
    add_train_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Rewriting the tables of a finished sweep needs only its folder, not the split it came from.
    if args.split_csv is None and not (args.tables_only and args.out):
        raise UsageError("--split-csv is required (or --tables-only with --out SWEEP_FOLDER)")
    out = args.out or Path("runs") / f"sweep-{args.split_csv.stem}"
    if not args.tables_only:  # before any run folder is made: a missing split failed all 44 runs
        check_train_options(args)
        if not args.plan_only:
            check_device(args.device)
        check_split_csv(args.split_csv)
    from cxr.evaluation.tables import write_tables
    from cxr.training.sweep import run_sweep

    if args.tables_only:
        try:
            print(f"tables written to {write_tables(out)}")
        except FileNotFoundError as exc:
            raise CliError(str(exc)) from None
        return 0
    train_options = {
        "pretrained": args.pretrained, "patience": args.patience,
        "constant_epochs": args.constant_epochs, "img_size": args.img_size,
        "contrast": args.contrast, "augment": args.augment, "balance": args.balance,
        "adversary_weight": args.adversary_weight, "mixup": args.mixup,
        "label_smoothing": args.label_smoothing, "consistency": args.consistency,
        "seed": args.seed, "device": args.device,
        "workers": args.workers,
        "max_train_batches": args.max_train_batches,
        "cache_dir": str(args.cache_dir) if args.cache_dir else None,
        "resident": args.resident,
    }
    archs = [a.strip() for a in args.archs.split(",") if a.strip()] if args.archs else None
    try:
        statuses = run_sweep(
            args.split_csv, out, archs=archs, lrs=args.lrs, batch_sizes=args.batch_sizes,
            epochs=args.epochs, train_options=train_options,
            evaluate_options={"n_boot": args.n_boot, "device": args.device,
                              "cache_dir": train_options["cache_dir"]},
            concurrent=args.concurrent, plan_only=args.plan_only,
        )
    except ValueError as exc:  # unknown architecture, or a folder started with another setup
        raise CliError(str(exc)) from None
    if args.plan_only:
        print(f"grid recorded in {out / 'sweep.json'}; tables in {out / 'tables.md'}")
        return 0
    failed = [name for name, status in statuses.items() if status == "failed"]
    print(f"{len(statuses) - len(failed)} of {len(statuses)} runs finished; tables in {out / 'tables.md'}")
    if failed:
        print("failed (see error.txt in each folder): " + ", ".join(failed))
        return 1
    return 0
