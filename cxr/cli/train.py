"""`python -m cxr train`: one training run with the paper's recipe (see cxr.training.loop)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from cxr.cli.errors import CliError, existing_file, writable_folder


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `train` and `sweep`."""
    parser.add_argument("--pretrained", default="imagenet",
                        help="imagenet (offline packages, $CXR_WEIGHTS_DIR, or timm download), "
                             "imagenet-or-none (ImageNet where offline weights exist, else from "
                             "scratch, labelled so), none, or a weights file")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--constant-epochs", type=int, default=5)
    parser.add_argument("--img-size", type=int, default=224)
    parser.add_argument("--contrast", choices=["none", "minmax", "equalize"], default="none")
    parser.add_argument("--augment", choices=["none", "paper", "paper+robust", "paper+codec", "paper+codec-last"], default="paper")
    parser.add_argument("--balance", choices=["none", "class", "source"], default="none",
                        help="sample so that each class, or each source-and-class group, weighs the same")
    parser.add_argument("--adversary-weight", type=float, default=0.0,
                        help="train against a class-conditional source adversary with this weight "
                             "(cxr.training.adversary; 0 = off)")
    parser.add_argument("--mixup", type=float, default=0.0, metavar="ALPHA",
                        help="train on blends of image pairs, weight ~ Beta(ALPHA, ALPHA) (0 = off)")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="spread this share of each target over the other classes (0 = off)")
    parser.add_argument("--consistency", type=float, default=0.0, metavar="WEIGHT",
                        help="with --augment paper+codec-last: train each image and its JPEG copy "
                             "with this weight on their Jensen-Shannon divergence (0 = off)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--workers", type=int, default=2, help="CPU threads")
    parser.add_argument("--max-train-batches", type=int, help="cap batches per epoch (smoke tests)")
    parser.add_argument("--cache-dir", type=Path, help="preprocessed image cache (default: $CXR_CACHE_DIR, else var/cache)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train one model (the paper's recipe by default)")
    parser.add_argument("--split-csv", type=Path, required=True, help="from `python -m cxr data split`")
    parser.add_argument("--arch", default="EfficientNet-Lite0",
                        help="architecture (cxr/training/registry.py): one of the paper's 11 "
                             "(e.g. ResNet50, DenseNet121), or EfficientNet-Lite0/1/2 or "
                             "MobileNetV2, which are not the paper's; the default, "
                             "EfficientNet-Lite0, is the bundled model's")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", type=Path, required=True, help="run folder")
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


def check_split_csv(path: Path) -> None:
    """A split CSV of `python -m cxr data split`, checked before a run folder is written."""
    from cxr.data.splits import read_split

    existing_file(path, "--split-csv")
    try:
        read_split(path)
    except (ValueError, KeyError) as exc:
        raise CliError(f"--split-csv: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from cxr.training.loop import train
    from cxr.training.weights import WeightsUnavailable

    check_split_csv(args.split_csv)
    writable_folder(args.out, "--out")
    config = config_from_args(args, args.split_csv, args.out)
    try:
        out = train(config)
    except WeightsUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"run finished: {out}")
    return 0
