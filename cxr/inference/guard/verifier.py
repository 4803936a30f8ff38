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

The regression learns the difference between X-rays and the kinds of wrong picture it was shown,
so a kind it never saw may fall on the X-ray side. A second, one-class part (`LayoutDensity`)
needs no wrong pictures at all: how far the layout (lung statistics and thumbnail) lies from the
fitting X-rays'. A picture is refused when either part says so.

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
LAYOUT_FEATURES = len(LUNG_STATISTICS) + THUMB * THUMB  # the leading columns of verifier_features


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
class LayoutDensity:
    """How unlike the fitting X-rays a picture's layout is (lung statistics and thumbnail).

    The standardised layout is projected on its first principal axes; the score is the shrunk
    Mahalanobis distance there (per axis) plus the squared distance off the axes (relative to the
    fitting X-rays' mean). It is fitted on X-rays alone, so it does not depend on which kinds of
    wrong picture the regression happened to see. Fitted by studies/guard_verifier.
    """
    mean: np.ndarray  # (L,) standardisation of the layout features
    scale: np.ndarray  # (L,)
    centre: np.ndarray  # (L,) mean of the standardised fitting layouts
    components: np.ndarray  # (k, L) principal axes
    location: np.ndarray  # (k,) centre of the projections
    precision: np.ndarray  # (k, k) shrunk inverse covariance of the projections
    residual: float  # mean squared distance off the axes among the fitting X-rays
    threshold: float  # refuse when the score exceeds it

    def scores(self, layout: np.ndarray) -> np.ndarray:
        z = (np.asarray(layout, np.float64) - self.mean) / self.scale - self.centre
        projected = z @ self.components.T
        off_axes = z - projected @ self.components
        d = projected - self.location
        mahalanobis = np.einsum("ij,jk,ik->i", d, self.precision, d) / len(self.components)
        return mahalanobis + (off_axes ** 2).sum(axis=1) / self.residual


@dataclass
class ChestXrayVerifier:
    components: np.ndarray  # (P, K) principal axes of the pooled features
    centre: np.ndarray  # (K,) their mean
    mean: np.ndarray  # (F,) standardisation of the features
    scale: np.ndarray  # (F,)
    coef: np.ndarray  # (F,) logistic regression, positive = not a chest X-ray
    intercept: float
    threshold: float  # refuse when P(not a chest X-ray) > threshold
    layout: LayoutDensity | None = None  # older verifier files have none

    def refuses(self, prepared: np.ndarray, pooled: np.ndarray, lung_probability: np.ndarray) -> np.ndarray:
        """Per image: not a whole frontal chest X-ray, by either part."""
        x = verifier_features(prepared, pooled, lung_probability, self.components, self.centre)
        return self.refuses_features(x)

    def refuses_features(self, features: np.ndarray) -> np.ndarray:
        refused = self.probability_of_features(features) > self.threshold
        if self.layout is not None:
            refused |= self.layout.scores(np.asarray(features)[:, :LAYOUT_FEATURES]) > self.layout.threshold
        return refused

    def probability_of_features(self, features: np.ndarray) -> np.ndarray:
        z = (np.asarray(features, np.float64) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept)))

    def save(self, path: str | Path) -> Path:
        layout = {}
        if self.layout is not None:
            layout = {f"layout_{name}": np.asarray(getattr(self.layout, name), np.float64)
                      for name in LayoutDensity.__dataclass_fields__}
        np.savez_compressed(path, components=self.components.astype(np.float32),
                            centre=self.centre.astype(np.float32), mean=self.mean, scale=self.scale,
                            coef=self.coef, intercept=np.float64(self.intercept),
                            threshold=np.float64(self.threshold), **layout)
        return Path(path)


def load_verifier(path: str | Path) -> ChestXrayVerifier | None:
    """The verifier at `path`, or None when the model folder has none."""
    path = Path(path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        layout = None
        if "layout_threshold" in data.files:
            values = {name: data[f"layout_{name}"] for name in LayoutDensity.__dataclass_fields__}
            layout = LayoutDensity(**{**values, "residual": float(values["residual"]),
                                      "threshold": float(values["threshold"])})
        return ChestXrayVerifier(
            components=data["components"].astype(np.float64), centre=data["centre"].astype(np.float64),
            mean=data["mean"], scale=data["scale"], coef=data["coef"],
            intercept=float(data["intercept"]), threshold=float(data["threshold"]), layout=layout)
