"""`python -m cxr train`: one training run with the paper's recipe (see cxr.training.loop)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from cxr.cli.errors import (
    CliError,
    UsageError,
    device,
    existing_file,
    float_from,
    folder_to_fill,
    image_size,
    int_at_least,
    non_negative_float,
    positive_float,
    positive_int,
    seed,
    writable_folder,
)


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `train` and `sweep`."""
    parser.add_argument("--pretrained", default="imagenet",
                        help="imagenet (offline packages, $CXR_WEIGHTS_DIR, or timm download), "
                             "imagenet-or-none (ImageNet where offline weights exist, else from "
                             "scratch, labelled so), none, or a weights file")
    parser.add_argument("--epochs", type=positive_int, default=50)
    parser.add_argument("--patience", type=positive_int, default=10)
    parser.add_argument("--constant-epochs", type=int_at_least(0), default=5)
    parser.add_argument("--img-size", type=image_size, default=224, help="pixels a side, 16 to 2048")
    parser.add_argument("--contrast", choices=["none", "minmax", "equalize"], default="none")
    parser.add_argument("--augment", choices=["none", "paper", "paper+robust", "paper+codec", "paper+codec-last"], default="paper")
    parser.add_argument("--balance", choices=["none", "class", "source"], default="none",
                        help="sample so that each class, or each source-and-class group, weighs the same")
    parser.add_argument("--adversary-weight", type=non_negative_float, default=0.0,
                        help="train against a class-conditional source adversary with this weight "
                             "(cxr.training.adversary; 0 = off)")
    parser.add_argument("--mixup", type=non_negative_float, default=0.0, metavar="ALPHA",
                        help="train on blends of image pairs, weight ~ Beta(ALPHA, ALPHA) (0 = off)")
    parser.add_argument("--label-smoothing", type=float_from(0, 1, example="0.1"), default=0.0,
                        help="spread this share of each target over the other classes (0 = off)")
    parser.add_argument("--consistency", type=non_negative_float, default=0.0, metavar="WEIGHT",
                        help="with --augment paper+codec-last: train each image and its JPEG copy "
                             "with this weight on their Jensen-Shannon divergence (0 = off)")
    parser.add_argument("--seed", type=seed, default=0)
    parser.add_argument("--device", type=device, default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--workers", type=positive_int, default=2, help="CPU threads")
    parser.add_argument("--max-train-batches", type=positive_int, help="cap batches per epoch (smoke tests)")
    parser.add_argument("--cache-dir", type=Path, help="preprocessed image cache (default: $CXR_CACHE_DIR, else var/cache)")


def architecture(text: str) -> str:
    """An architecture of the registry (any spelling it accepts), kept as typed."""
    from cxr.training.registry import canonical_arch  # no torch

    try:
        canonical_arch(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train one model (the paper's recipe by default)")
    parser.add_argument("--split-csv", type=Path, required=True, help="from `python -m cxr data split`")
    parser.add_argument("--arch", type=architecture, default="EfficientNet-Lite0",
                        help="architecture (cxr/training/registry.py): one of the paper's 11 "
                             "(e.g. ResNet50, DenseNet121), or EfficientNet-Lite0/1/2 or "
                             "MobileNetV2, which are not the paper's; the default, "
                             "EfficientNet-Lite0, is the bundled model's")
    parser.add_argument("--lr", type=positive_float, default=1e-4)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--out", type=Path, required=True,
                        help="run folder; one holding a finished run (done.json or best.pt) is refused "
                             "unless --replace is given")
    parser.add_argument("--replace", action="store_true",
                        help="replace the run in --out: its checkpoint, history and the evaluation "
                             "outputs `evaluate` wrote into the folder (metrics, predictions, plots) are "
                             "removed before training; sub-folders are left alone and named")
    add_train_options(parser)
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace, split_csv: str, out_dir: str):
    """The TrainConfig the command line asks for (shared by `train` and `out-of-source`)."""
    from cxr.training.loop import TrainConfig

    return TrainConfig(
        split_csv=str(split_csv), arch=args.arch, pretrained=args.pretrained, lr=args.lr,
        batch_size=args.batch_size, epochs=args.epochs, patience=args.patience,
        constant_epochs=args.constant_epochs, img_size=args.img_size, contrast=args.contrast,
        augment=args.augment, balance=args.balance, adversary_weight=args.adversary_weight,
        mixup=args.mixup, label_smoothing=args.label_smoothing, consistency=args.consistency,
        seed=args.seed, out_dir=str(out_dir),
        device=args.device, workers=args.workers, max_train_batches=args.max_train_batches,
        cache_dir=str(args.cache_dir) if args.cache_dir else None,
        command="python -m cxr " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    )


def check_train_options(args: argparse.Namespace) -> None:
    """The training options that do not go together: a UsageError before anything is read or
    written (cxr.training.loop.train refuses them too, but only after torch has loaded)."""
    from cxr.training.options import conflicting_options

    problem = conflicting_options(mixup=args.mixup, adversary_weight=args.adversary_weight,
                                  consistency=args.consistency, augment=args.augment)
    if problem:
        raise UsageError(problem)


def check_device(name: str) -> None:
    """A --device this machine has (asks torch, through cxr.training): else a CliError, before
    any data is read."""
    from cxr.training.loop import missing_device

    problem = missing_device(name)
    if problem:
        raise CliError(f"--device {name}: {problem} (use --device cpu, or auto for a GPU where "
                       "there is one)")


def check_split_csv(path: Path) -> None:
    """A split CSV of `python -m cxr data split`, checked before a run folder is written."""
    from cxr.data.splits import read_split

    existing_file(path, "--split-csv")
    try:
        read_split(path)
    except (ValueError, KeyError) as exc:
        raise CliError(f"--split-csv: {exc}") from None


def check_images(args: argparse.Namespace) -> None:
    """Every image of the split decodes: builds the preprocessed cache the run then reads, so
    that a missing or damaged image is named (as `data cache` names it) before any run folder is
    made, not a traceback from inside the training."""
    from cxr.cli.data import unreadable_images
    from cxr.data.cache import UnreadableImages, cached_images
    from cxr.data.splits import read_split

    try:
        cached_images(list(read_split(args.split_csv)["path"]), args.img_size, args.contrast,
                      args.cache_dir)
    except UnreadableImages as exc:
        raise unreadable_images(exc, args.split_csv, "no run folder made") from None


# What a finished run folder holds: `train`'s files (cxr.training.loop.train) and those `evaluate`
# writes into the run folder by default (cxr.evaluation.report.write_outputs). `--replace`
# removes them all: an evaluation left beside a new best.pt would describe the old model.
FINISHED_RUN = ("done.json", "best.pt")
RUN_FILES = ("done.json", "best.pt", "history.csv", "curves.png", "config.json", "metrics.json", "metrics.md",
             "confusion_*.png", "roc_*.png", "reliability_*.png", "predictions_*.csv")


def check_finished_run(out: Path, replace: bool) -> None:
    """A folder holding a finished run is refused, unless `replace`: then the run's files are
    removed (before any training), and each sub-folder holding an evaluation is named on stderr."""
    if not any((out / name).exists() for name in FINISHED_RUN):
        return
    if not replace:
        raise CliError(f"--out {out} holds a finished run ({', '.join(n for n in FINISHED_RUN if (out / n).exists())}): "
                       "give another folder, or --replace to train a new model in its place (its checkpoint "
                       "and evaluation are removed)")
    for pattern in RUN_FILES:
        for path in out.glob(pattern):
            path.unlink()
    kept = sorted(str(p.parent) for p in out.glob("*/metrics.json"))
    if kept:
        print(f"replacing the run in {out}; left alone, evaluations of the replaced model: {', '.join(kept)}",
              file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    check_train_options(args)
    from cxr.training.loop import train
    from cxr.training.weights import WeightsUnavailable

    check_device(args.device)
    check_split_csv(args.split_csv)
    folder_to_fill(args.out, "--out")  # before the images are decoded
    if not args.replace:
        check_finished_run(args.out, replace=False)
    check_images(args)
    writable_folder(args.out, "--out")
    check_finished_run(args.out, args.replace)  # removed only once the run can start
    config = config_from_args(args, args.split_csv, args.out)
    try:
        out = train(config)
    except WeightsUnavailable as exc:  # no ImageNet weights offline, and none to download
        raise CliError(str(exc)) from None
    print(f"run finished: {out}")
    return 0
