"""Is this a whole frontal chest X-ray? A logistic regression on what the served pipeline already has.

The feature guard (detectors.py) measures distance from the training X-rays; it lets through
pictures that keep X-ray texture: an X-ray photographed on a monitor, a crop that shows one lung,
a heavily processed film. Those got confident readings. This verifier is fitted on real X-rays
against hard negatives made from X-rays (cxr.data.hard_negatives) and the negative set's
pictures, with whole families and whole sources left out in turn to measure it
(studies/guard_verifier). Its features, per image:

- the lung field (cxr.inference.lung_field): how much of the picture is lung, on each side, how
  sure the segmenter is, where the lungs sit, how much they touch the border. A crop or a screen
  photo has lungs in the wrong place, cut or small;
- a 16 x 16 thumbnail of the prepared image (layout: a screen's frame, a crop's edges);
- the network's pooled features projected on their first principal components (texture).

Stored as `verifier.npz` in the model folder; serving needs numpy only. An image whose
probability of "not a chest X-ray" exceeds `threshold` is refused; the threshold is set on
out-of-fold scores of the fitting X-rays for a stated false-refusal budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.inference.lung_field import LUNG_PROBABILITY

VERIFIER_FILE = "verifier.npz"
THUMB = 16
LUNG_STATISTICS = ("lung_area", "left_area", "right_area", "balance", "confidence",
                   "centre_row", "rows_with_lung", "cols_with_lung", "on_border")


def lung_statistics(lung_probability: np.ndarray) -> np.ndarray:
    """(N, S, S) lung probabilities -> (N, 9) numbers named by LUNG_STATISTICS."""
    p = np.asarray(lung_probability, np.float64)
    n, h, w = p.shape
    lung = p > LUNG_PROBABILITY
    area = lung.mean(axis=(1, 2))
    left = lung[:, :, : w // 2].mean(axis=(1, 2)) * 2
    right = lung[:, :, w // 2:].mean(axis=(1, 2)) * 2
    balance = np.minimum(left, right) / np.maximum(np.maximum(left, right), 1e-6)
    confidence = np.abs(2 * p - 1).mean(axis=(1, 2))
    rows = np.arange(h)[None, :]
    row_mass = lung.sum(axis=2)
    centre = (row_mass * rows).sum(axis=1) / np.maximum(row_mass.sum(axis=1), 1) / h
    rows_with = (row_mass > 0).mean(axis=1)
    cols_with = (lung.sum(axis=1) > 0).mean(axis=1)
    border = np.zeros((h, w), bool)
    border[:3], border[-3:], border[:, :3], border[:, -3:] = True, True, True, True
    on_border = (lung & border).sum(axis=(1, 2)) / np.maximum(lung.sum(axis=(1, 2)), 1)
    return np.stack([area, left, right, balance, confidence, centre, rows_with, cols_with, on_border], axis=1)


def small_thumbnails(prepared: np.ndarray, side: int = THUMB) -> np.ndarray:
    return np.stack([np.asarray(Image.fromarray(p).resize((side, side), Image.Resampling.BOX), np.float64).ravel()
                     for p in np.asarray(prepared)]) / 255.0


def verifier_features(prepared: np.ndarray, pooled: np.ndarray, lung_probability: np.ndarray,
                      components: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The verifier's input: lung statistics, thumbnail, pooled features on `components`."""
    projected = (np.asarray(pooled, np.float64) - centre) @ components.T
    return np.concatenate([lung_statistics(lung_probability), small_thumbnails(prepared), projected], axis=1)


@dataclass
class ChestXrayVerifier:
    components: np.ndarray  # (P, K) principal axes of the pooled features
    centre: np.ndarray  # (K,) their mean
    mean: np.ndarray  # (F,) standardisation of the features
    scale: np.ndarray  # (F,)
    coef: np.ndarray  # (F,) logistic regression, positive = not a chest X-ray
    intercept: float
    threshold: float  # refuse when P(not a chest X-ray) > threshold

    def not_cxr_probability(self, prepared: np.ndarray, pooled: np.ndarray,
                            lung_probability: np.ndarray) -> np.ndarray:
        x = verifier_features(prepared, pooled, lung_probability, self.components, self.centre)
        return self.probability_of_features(x)

    def probability_of_features(self, features: np.ndarray) -> np.ndarray:
        z = (np.asarray(features, np.float64) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept)))

    def save(self, path: str | Path) -> Path:
        np.savez_compressed(path, components=self.components.astype(np.float32),
                            centre=self.centre.astype(np.float32), mean=self.mean, scale=self.scale,
                            coef=self.coef, intercept=np.float64(self.intercept),
                            threshold=np.float64(self.threshold))
        return Path(path)


def load_verifier(path: str | Path) -> ChestXrayVerifier | None:
    """The verifier at `path`, or None when the model folder has none."""
    path = Path(path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        return ChestXrayVerifier(
            components=data["components"].astype(np.float64), centre=data["centre"].astype(np.float64),
            mean=data["mean"], scale=data["scale"], coef=data["coef"],
            intercept=float(data["intercept"]), threshold=float(data["threshold"]))
