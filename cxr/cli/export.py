"""`python -m cxr export CHECKPOINT --out DIR`: the model directory the web app serves."""
from __future__ import annotations

import argparse
from pathlib import Path

from cxr.cli.errors import CliError, bootstrap_resamples, folder_to_fill, int_at_least
from cxr.cli.loading import CHECKPOINT_LOADING
from cxr.export import OOD_MAX_TRAIN_IMAGES

# The guard gives each source-and-class group of at least 10 sampled images a centre of its own
# (cxr.inference.guard.detectors) and scores by the 10th nearest training X-ray: a sample of a few
# images left it without either (-5 ended in a LinAlgError). An argparse type, as those of errors.py.
ood_train_image_count = int_at_least(100, why=" (the OOD guard needs about 10 images per source and class)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="checkpoint -> ONNX model + model card + OOD statistics",
        description="Export a trained checkpoint to ONNX, fit temperature scaling on its "
                    "validation split and the OOD guard on its training split, measure it on "
                    "the test split and a non-X-ray set, and write model_card.json.",
    )
    parser.add_argument("checkpoint", type=Path,
                        help="runs/<name>/best.pt. " + CHECKPOINT_LOADING)
    parser.add_argument("--out", type=Path, required=True, help="model directory, e.g. models/bundled")
    parser.add_argument("--extra-metrics", action="append", default=[], metavar="NAME=METRICS_JSON",
                        help="add the test metrics of another evaluation run (e.g. "
                             "source=runs/x/eval_source/metrics.json); repeatable")
    parser.add_argument("--cache-dir", type=Path, help="preprocessed image cache (default: the training run's)")
    parser.add_argument("--ood-max-train", type=ood_train_image_count, default=OOD_MAX_TRAIN_IMAGES,
                        help="training images used to fit the OOD statistics, at least 100 (a "
                             "smaller training set is used whole)")
    parser.add_argument("--lung-masks", type=Path, metavar="CXR_DIR",
                        help="X-ray folder with lung_masks/index.csv (e.g. ../shared/data/cxr): "
                             "measure how much of the heat maps lies on the lungs, for the card")
    parser.add_argument("--n-boot", type=bootstrap_resamples, default=1000,
                        help="bootstrap resamples for the 95%% CIs (at least 10)")
    parser.set_defaults(handler=run)


def parse_extra(items: list[str]) -> dict[str, Path]:
    extra = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise argparse.ArgumentTypeError(f"--extra-metrics expects NAME=PATH, got {item!r}")
        extra[name] = Path(path)
    return extra


def run(args) -> int:
    from cxr.cli.loading import checked_checkpoint, checkpoint_split

    try:
        extra = parse_extra(args.extra_metrics)
    except argparse.ArgumentTypeError as exc:
        raise CliError(str(exc)) from None
    missing = [str(p) for p in [args.checkpoint, *extra.values()] if not p.is_file()]
    if args.lung_masks is not None and not (args.lung_masks / "lung_masks" / "index.csv").is_file():
        missing.append(str(args.lung_masks / "lung_masks" / "index.csv"))
    if missing:
        raise CliError(f"not found: {', '.join(missing)}")
    # The split calibrates the model and fits its guard: checked, with --out, before the ONNX export.
    checkpoint_split(checked_checkpoint(args.checkpoint), args.checkpoint,
                     hint=": put it back where it was, or train again")
    folder_to_fill(args.out, "--out")
    from cxr.export.bundle import export_model

    card = export_model(
        args.checkpoint, args.out, extra_metrics=extra,
        cache_dir=args.cache_dir, ood_max_train=args.ood_max_train, n_boot=args.n_boot,
        lung_masks_dir=args.lung_masks,
    )
    print(f"wrote {card.parent}: model.onnx, ood.npz, {card.name}")
    return 0
