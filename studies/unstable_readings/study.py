"""Does a reading that moves under faint noise mark a wrong reading, out of source?

    python -m studies.unstable_readings.study [--oos runs/oos-224] [--per-group 1000]
        [--sigma 1 --sigma 2] [--copies 2] [--model models/bundled] [--split CSV]

The bundled model reads film grain as COVID-19 (docs/results/codec_augmentation.md): two grey
levels of noise turn every test X-ray into COVID-19. That suggested a cheap trust signal for the
product: read the model input once more through faint noise and call a reading "unstable" when
its label changes (or its probabilities move), on the idea that readings resting on texture are
the wrong ones on a new hospital's films. This study measures that idea where it would be used:
on X-rays of sources the model never saw, with the leave-sources-out fold models of
`python -m cxr out-of-source` (their checkpoints: `<oos>/<group>/run/best.pt`, kept on the
machine that trained them, not committed), at most `--per-group` held-out images per group
(a fixed random sample), and on the patient split's test rows with the served model.

For each image: the model input (the prepared 8-bit pixels) plus Gaussian noise of `sigma`
grey levels, rounded back to 8 bits, `--copies` times with fixed seeds. An image "flips" when
any copy's label differs from the plain reading's; "moves" reports the largest change of a class
probability (fold models: softmax of the raw logits; the served model: at its temperature).

Imports only cxr (its training side for the fold checkpoints), numpy and pandas; writes
docs/results/unstable_readings.md.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.data.cache import cached_images
from cxr.evaluation.markdown import table, write_output
from cxr.evaluation.metrics import bootstrap_statistic, softmax_probs
from cxr.evaluation.selective import area_under_risk_coverage

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "unstable_readings.md"
MOVE_LIMIT = 0.05  # "moves": a class probability changes by more than this under noise


@dataclass
class Readings:
    """Plain and noisy probabilities (copies, N, C) of one model on one set of images."""

    name: str
    y: np.ndarray
    plain: np.ndarray
    noisy: dict[float, np.ndarray]

    def flips(self, sigma: float) -> np.ndarray:
        return (self.noisy[sigma].argmax(axis=2) != self.plain.argmax(axis=1)).any(axis=0)

    def movement(self, sigma: float) -> np.ndarray:
        return np.abs(self.noisy[sigma] - self.plain).max(axis=(0, 2))

    @classmethod
    def read(cls, name: str, y: np.ndarray, probabilities, prepared: np.ndarray, sigmas: list[float],
             copies: int) -> Readings:
        """`probabilities` (uint8 images -> (N, C)) on `prepared` and on its noisy copies."""
        noisy = {s: np.stack([probabilities(c) for c in noisy_copies(prepared, s, copies)]) for s in sigmas}
        return cls(name, y, probabilities(prepared), noisy)


def noisy_copies(prepared: np.ndarray, sigma: float, copies: int) -> list[np.ndarray]:
    """`copies` noisy versions of uint8 images (N, S, S), fixed seeds: what a product would read."""
    return [np.clip(np.round(prepared + np.random.default_rng(copy).normal(0.0, sigma, prepared.shape)),
                    0, 255).astype(np.uint8) for copy in range(copies)]


def fold_readings(oos: Path, group: str, per_group: int, sigmas: list[float], copies: int) -> Readings:
    """The fold model that never saw `group`, on (a sample of) its held-out images."""
    import torch

    from cxr.training.loop import load_checkpoint, predict_logits

    torch.set_num_threads(2)
    split = pd.read_csv(oos / group / "split.csv")
    rows = np.load(oos / group / "predictions.npz")["rows"]
    if len(rows) > per_group:
        rows = np.sort(np.random.default_rng(0).choice(rows, per_group, replace=False))
    model, checkpoint = load_checkpoint(oos / group / "run" / "best.pt")
    prepared = np.array(cached_images(list(split["path"].iloc[rows]), int(checkpoint["img_size"]),
                                      checkpoint["contrast"]))

    def probabilities(images: np.ndarray) -> np.ndarray:
        return softmax_probs(predict_logits(model, images, batch_size=32))
    return Readings.read(f"{group} (held out)", split["y"].to_numpy()[rows], probabilities, prepared,
                         sigmas, copies)


def served_readings(model_dir: Path, split_csv: Path, sigmas: list[float], copies: int) -> Readings:
    """The served model on the patient split's test rows (sources it trained on)."""
    from cxr.inference import Predictor, decode_image
    from cxr.preprocess import prepare_gray

    predictor = Predictor.load(model_dir, threads=2)
    test = pd.read_csv(split_csv).query("subset == 'test'")
    prepared = np.stack([prepare_gray(decode_image(p).gray, predictor.input_size, predictor.contrast)
                         for p in test["path"]])

    def probabilities(images: np.ndarray) -> np.ndarray:
        return softmax_probs(predictor.logits_and_features(images)[0], predictor.temperature)
    y = np.array([list(predictor.classes).index(label) for label in test["label"]])
    return Readings.read(f"patient-split test, served model ({predictor.version})", y, probabilities, prepared,
                         sigmas, copies)


def _share(values: np.ndarray) -> str:
    if len(values) == 0:
        return "-"
    result = bootstrap_statistic(pd.DataFrame({"v": values}), lambda f: f["v"].mean(), n_boot=500)
    return f"{result['value']:.3f} [{result['ci95'][0]:.3f}, {result['ci95'][1]:.3f}] (n={len(values)})"


def rows_for(readings: Readings, sigma: float) -> list[list[str]]:
    right = readings.plain.argmax(axis=1) == readings.y
    movement = readings.movement(sigma)
    flips, moves = readings.flips(sigma), movement > MOVE_LIMIT
    confidence = readings.plain.max(axis=1)
    return [[readings.name, f"{sigma:g}", len(right), f"{right.mean():.3f}", f"{flips.mean():.2f}",
             _share(right[~flips]), _share(right[flips]), f"{moves.mean():.2f}", _share(right[~moves]),
             f"{area_under_risk_coverage(confidence, right):.3f}",
             f"{area_under_risk_coverage(-movement, right):.3f}"]]


def report(all_readings: list[Readings], sigmas: list[float], copies: int) -> str:
    header = ["images", "noise (grey levels)", "n", "right", "share that flips", "right among stable",
              "right among flipped", f"share moving > {MOVE_LIMIT}", f"right among moving <= {MOVE_LIMIT}",
              "AURC, max probability", "AURC, stability"]
    rows = [row for r in all_readings for s in sigmas for row in rows_for(r, s)]
    return "\n".join([
        f"{copies} noisy copies of each model input; 95% intervals: bootstrap over images (500). "
        "AURC: mean error over coverage when abstaining by that score (lower is better).", "",
        table(header, rows, "lrrrrrrrrrr")])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m studies.unstable_readings.study")
    parser.add_argument("--oos", type=Path, default=REPO / "runs" / "oos-224",
                        help="a `python -m cxr out-of-source` folder with its fold checkpoints")
    parser.add_argument("--per-group", type=int, default=1000)
    parser.add_argument("--sigma", type=float, action="append", help="noise in grey levels; repeatable (1, 2)")
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--model", type=Path, default=REPO / "models" / "bundled")
    parser.add_argument("--split", type=Path, default=REPO / "var" / "data" / "splits" / "3class_patient_s0.csv")
    args = parser.parse_args(argv)
    sigmas = args.sigma or [1.0, 2.0]
    folds = sorted(p.parent.parent.name for p in args.oos.glob("*/run/best.pt"))
    if not folds:
        raise SystemExit(f"no fold checkpoints under {args.oos}: run `python -m cxr out-of-source` first")
    if not args.split.is_file():
        raise SystemExit(f"no split at {args.split}: python -m cxr data split --task 3class --kind patient --seed 0")
    readings = [fold_readings(args.oos, g, args.per_group, sigmas, args.copies) for g in folds]
    readings.append(served_readings(args.model, args.split, sigmas, args.copies))
    command = "python -m studies.unstable_readings.study " + " ".join(sys.argv[1:] if argv is None else argv)
    print(write_output(PAGE, command.strip(), report(readings, sigmas, args.copies),
                       "Unstable readings: re-read through faint noise"))


if __name__ == "__main__":
    main()
