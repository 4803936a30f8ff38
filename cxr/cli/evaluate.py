"""`python -m cxr evaluate RUN`: metrics with 95% CIs, calibration and plots (see cxr.evaluation.report)."""
from __future__ import annotations

import argparse
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    bootstrap_resamples,
    device,
    positive_int,
    seed,
    writable_folder,
)
from cxr.cli.loading import CHECKPOINT_LOADING


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate a trained model on its validation and test sets"
    )
    parser.add_argument("run", type=Path,
                        help="run folder (with best.pt) or a checkpoint file. " + CHECKPOINT_LOADING)
    parser.add_argument("--split-csv", type=Path,
                        help="split to evaluate on (default: the one the model was trained on)")
    parser.add_argument("--subset", choices=["val", "test"],
                        help="evaluate one subset only (default: validation and test)")
    parser.add_argument("--out", type=Path, help="output folder (default: the run folder)")
    parser.add_argument("--n-boot", type=bootstrap_resamples, default=1000,
                        help="bootstrap resamples for the 95%% CIs (at least 10)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the bootstrap, 0 to 2^32 - 1")
    parser.add_argument("--device", type=device, default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--cache-dir", type=Path,
                        help="preprocessed image cache (default: the training run's, else "
                             "$CXR_CACHE_DIR, else var/cache)")
    parser.add_argument("--tta", choices=["none", "flip"], default="none",
                        help="test-time augmentation: flip averages each image with its mirror")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxr.cli.data import unreadable_images
    from cxr.cli.loading import checked_checkpoint, checkpoint_file, checkpoint_split
    from cxr.cli.train import check_device
    from cxr.data.cache import UnreadableImages
    from cxr.evaluation.markdown import format_estimate as fmt
    from cxr.evaluation.metrics import ECE_SPREAD
    from cxr.evaluation.report import SUBSETS
    from cxr.training.evaluate import evaluate_run

    check_device(args.device)
    # Every input and the output, before the model predicts anything.
    checkpoint = checkpoint_file(args.run)
    split_csv = checkpoint_split(checked_checkpoint(checkpoint), checkpoint, args.split_csv,
                                 hint=": pass --split-csv with its new place")
    writable_folder(args.out or checkpoint.parent, "--out" if args.out else "the run folder")
    try:
        result = evaluate_run(
            checkpoint,
            split_csv=split_csv,
            subsets=(args.subset,) if args.subset else SUBSETS,
            out_dir=args.out,
            n_boot=args.n_boot,
            seed=args.seed,
            device=args.device,
            batch_size=args.batch_size,
            cache_dir=args.cache_dir,
            tta=args.tta,
        )
    except UnreadableImages as exc:
        raise unreadable_images(exc, split_csv, "nothing evaluated") from None
    except ValueError as exc:  # not a split, a subset without images
        raise CliError(str(exc)) from None
    for name, report in result["subsets"].items():
        print(f"{name:5s} n={report['n']:5d}  accuracy {fmt(report['accuracy'])}  "
              f"macro AUC {fmt(report['macro_auc'])}  ECE {fmt(report['ece'])} "
              f"(its range: the {ECE_SPREAD}, not a 95% CI)")
    print(f"reports written to {Path(result['out_dir']) / 'metrics.md'} and metrics.json")
    return 0
