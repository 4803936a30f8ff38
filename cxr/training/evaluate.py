"""Evaluate a trained checkpoint on the subsets of its split (torch: loads and runs the model).

The numbers and the files come from `cxr.evaluation.report`; this module only predicts.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cxr.data.cache import cached_images
from cxr.data.splits import read_split
from cxr.evaluation.report import SUBSETS, evaluate_predictions, subset_frames, write_outputs
from cxr.evaluation.runs import portable_path
from cxr.training.loop import load_checkpoint, predict_logits, resolve_device


def checkpoint_path(run_or_checkpoint: str | Path) -> Path:
    """`runs/x` -> `runs/x/best.pt`; a file is returned as is."""
    path = Path(run_or_checkpoint)
    if path.is_dir():
        path = path / "best.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def _training_args(checkpoint: dict) -> dict:
    args = checkpoint.get("args") or {}
    return args if isinstance(args, dict) else vars(args)


def _split_csv_of(checkpoint: dict) -> str | None:
    """The split a checkpoint was trained on (absolute path recorded by `cxr.training.loop`)."""
    return (checkpoint.get("split") or {}).get("csv") or _training_args(checkpoint).get("split_csv")


def evaluate_run(
    run_or_checkpoint: str | Path,
    split_csv: str | Path | None = None,
    subsets: Sequence[str] = SUBSETS,
    out_dir: str | Path | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = 32,
    cache_dir: str | Path | None = None,
    tta: str = "none",
) -> dict:
    """Load a checkpoint, predict its split's subsets, write the reports; returns the metrics.

    `tta="flip"` averages the logits of each image and its mirror image (test-time augmentation;
    horizontal flips are part of the training augmentation, so both are images the model knows).
    """
    ckpt_path = checkpoint_path(run_or_checkpoint)
    device = resolve_device(device)
    model, checkpoint = load_checkpoint(ckpt_path, device=device)
    split_csv = split_csv or _split_csv_of(checkpoint)
    if not split_csv:
        raise ValueError(f"{ckpt_path} does not name its split: pass --split-csv")
    classes = list(checkpoint["classes"])
    img_size, contrast = int(checkpoint["img_size"]), checkpoint.get("contrast", "none")
    split = read_split(split_csv)
    frames = subset_frames(split, classes, subsets)
    cache_dir = cache_dir or _training_args(checkpoint).get("cache_dir")
    # The whole split's paths, in order: the same cache key as training, so its cache is reused.
    images = cached_images(list(split["path"]), size=img_size, contrast=contrast,
                           cache_dir=cache_dir)
    logits = {}
    for name, frame in frames.items():
        subset_images = np.asarray(images[frame.index.to_numpy()])
        logits[name] = np.asarray(predict_logits(model, subset_images, img_size=img_size,
                                                 batch_size=batch_size, device=device))
        if tta == "flip":
            mirrored = np.ascontiguousarray(subset_images[:, :, ::-1])
            logits[name] = (logits[name] + np.asarray(predict_logits(
                model, mirrored, img_size=img_size, batch_size=batch_size, device=device))) / 2
        elif tta != "none":
            raise ValueError(f"unknown test-time augmentation {tta!r} (none, flip)")
    result = evaluate_predictions(frames, logits, classes, n_boot=n_boot, seed=seed)
    result.update(
        checkpoint=portable_path(ckpt_path),
        arch=checkpoint.get("arch"),
        split_csv=portable_path(split_csv),
        img_size=img_size,
        contrast=contrast,
        epoch=checkpoint.get("epoch"),
        tta=tta,
    )
    out_dir = Path(out_dir) if out_dir else ckpt_path.parent
    write_outputs(result, frames, logits, out_dir,
                  title=f"Evaluation of {checkpoint.get('arch', 'model')} ({ckpt_path.parent.name})")
    result["out_dir"] = str(out_dir)
    return result
