"""Does mapping an unseen hospital's grey levels onto the training images' help at test time?

    python -m studies.test_time_histogram_matching.study runs/ablation/cohen-darkcovidnet/1-paper ...

Hospitals differ in exposure and processing, and the model never saw the unseen ones' grey-level
distribution. Here each held-out test image's histogram is matched to the mean histogram of
2,000 of the run's training images before it is read, with the model unchanged (no retraining,
unlike the ablation's equalised contrast). Prints macro AUC over the classes present, accuracy
and per-class sensitivity, raw beside matched, for each run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.data.cache import cached_images
from cxr.data.splits import read_split
from cxr.evaluation.markdown import write_output
from cxr.evaluation.metrics import softmax_probs
from cxr.evaluation.predictions import CLASSES, accuracy, macro_auc_present, sensitivity
from cxr.training.loop import load_checkpoint, predict_logits

PAGE = Path(__file__).resolve().parents[2] / "docs" / "results" / "test_time_histogram_matching.md"
REFERENCE_IMAGES = 2000


def mean_cdf(images: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The cumulative grey-level distribution of the images at `indices`, each weighted equally."""
    hist = np.zeros(256)
    for i in indices:
        image = np.asarray(images[i])
        hist += np.bincount(image.ravel(), minlength=256) / image.size
    return np.cumsum(hist / hist.sum())


def matched(image: np.ndarray, reference_cdf: np.ndarray) -> np.ndarray:
    """`image` with its grey levels remapped so that its histogram follows the reference."""
    cdf = np.cumsum(np.bincount(image.ravel(), minlength=256)) / image.size
    lut = np.searchsorted(reference_cdf, cdf).clip(0, 255).astype(np.uint8)
    return lut[image]


def summary(test: pd.DataFrame, probs: np.ndarray) -> str:
    frame = test.copy()
    for k, name in enumerate(CLASSES):
        frame[f"p_{name}"] = probs[:, k]
    frame["predicted"] = np.array(CLASSES)[probs.argmax(axis=1)]
    sens = ", ".join(f"{name} {sensitivity(frame, name):.3f}" for name in CLASSES if (frame["label"] == name).any())
    return (f"macro AUC {macro_auc_present(frame):.3f}, accuracy "
            f"{accuracy(frame):.3f}, sensitivity {sens}")


def main(runs: list[str]) -> None:
    if not runs or runs[0] in ("-h", "--help"):
        raise SystemExit(__doc__)
    lines = []
    for run in runs:
        model, checkpoint = load_checkpoint(f"{run}/best.pt", device="cpu")
        if list(checkpoint["classes"]) != list(CLASSES):
            raise SystemExit(f"{run}: expected the 3-class task {CLASSES}")
        size = int(checkpoint["img_size"])
        split = read_split(checkpoint["split"]["csv"])
        images = cached_images(list(split["path"]), size=size, contrast=checkpoint.get("contrast", "none"),
                               progress=False)
        train = np.flatnonzero((split["subset"] == "train").to_numpy())
        reference = mean_cdf(images, np.random.default_rng(0).choice(train, REFERENCE_IMAGES, replace=False))
        test = split[split["subset"] == "test"]
        raw = np.asarray(images[test.index.to_numpy()])
        for name, batch in (("raw", raw), ("matched", np.stack([matched(x, reference) for x in raw]))):
            logits = np.asarray(predict_logits(model, batch, img_size=size, batch_size=64, device="cpu"))
            lines.append(f"{run} {name}: {summary(test, softmax_probs(logits))}")
            print(lines[-1], flush=True)
    # One line per run and reading; a blank line between them keeps them apart in the page.
    write_output(PAGE, " ".join(["python -m studies.test_time_histogram_matching.study", *runs]),
                 "\n\n".join(lines), "Test-time histogram matching")


if __name__ == "__main__":
    main(sys.argv[1:])
