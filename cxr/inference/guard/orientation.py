"""Which way up is this X-ray? A small classifier on a 32 x 32 thumbnail of the prepared image.

X-rays turned by a quarter, half or three-quarter turn, or stored as negatives (bones dark, air
light), are not what the model was trained on: read as they are, they got "uncertain" or even
confident labels. A multinomial logistic regression tells upright X-rays from their transforms
(each rotation, inversion, and inversion with each rotation). Its input is the prepared image
(`prepare_gray`, what the network sees) shrunk to 32 x 32 grey levels: on sources the fit never
saw this named the transform right far more often than the same regression on the network's
pooled features (which carry the source more than the layout; docs/results/orientation.md), and
it needs no network pass, so it runs before the model and a correction costs one pass, not two.
It is fitted by studies/orientation/study.py (scikit-learn, at fit time only) and stored in the
model folder as `orientation.npz`. Serving needs numpy and Pillow only.

Angles are clockwise: "rot90" is an upright X-ray turned a quarter turn clockwise; turning it
back is a quarter turn anticlockwise (`correct_orientation`). An image is flagged when the classifier's
probability that it is NOT upright exceeds `threshold`, set on the fitting X-rays so that at most
about 0.5% of upright ones are flagged (see docs/results/orientation.md for the rates measured
on sources the fit never saw). A flagged image is turned back only when the classifier is sure
(P(not upright) >= `correct_above`, 0.9); flagged but less sure, it is refused: the upright X-rays
that were flagged on unseen sources mostly scored below 0.9, and turning one of them "back" would
have read an upright X-ray upside down or as a negative.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ORIENTATION_FILE = "orientation.npz"
THUMB = 32  # thumbnail side in pixels
CORRECT_ABOVE = 0.9  # turn back only when P(not upright) is at least this; refuse when less sure
UPRIGHT = "upright"
# Class name -> (clockwise angle in degrees, inverted grey levels).
TRANSFORMS: dict[str, tuple[int, bool]] = {
    "upright": (0, False),
    "rot90": (90, False),
    "rot180": (180, False),
    "rot270": (270, False),
    "inverted": (0, True),
    "inverted_rot90": (90, True),
    "inverted_rot180": (180, True),
    "inverted_rot270": (270, True),
}


def thumbnails(prepared: np.ndarray, side: int = THUMB) -> np.ndarray:
    """uint8 (N, S, S) prepared images -> float (N, side * side) grey levels in [0, 1]."""
    rows = [np.asarray(Image.fromarray(p).resize((side, side), Image.Resampling.BOX), np.uint8).ravel()
            for p in np.asarray(prepared)]
    return np.stack(rows).astype(np.float64) / 255.0


def apply_orientation(gray: np.ndarray, name: str) -> np.ndarray:
    """An upright image turned `angle` degrees clockwise and/or inverted: what class `name` looks like."""
    angle, inverted = TRANSFORMS[name]
    out = 255 - gray if inverted else gray
    return np.ascontiguousarray(np.rot90(out, k=-(angle // 90)))


def correct_orientation(gray: np.ndarray, name: str) -> np.ndarray:
    """Undo `apply_orientation(., name)`: turn back anticlockwise, then invert back."""
    angle, inverted = TRANSFORMS[name]
    out = np.rot90(gray, k=angle // 90)
    return np.ascontiguousarray(255 - out if inverted else out)


@dataclass(frozen=True)
class Orientation:
    """The classifier's verdict on one image."""

    name: str  # the most likely non-upright class, or "upright" when not flagged
    not_upright: float  # probability that the image is not upright
    flagged: bool
    correctable: bool = False  # flagged, and sure enough to turn it back

    @property
    def angle(self) -> int:
        return TRANSFORMS[self.name][0]

    @property
    def inverted(self) -> bool:
        return TRANSFORMS[self.name][1]


@dataclass
class OrientationClassifier:
    classes: list[str]  # output order; must include "upright"
    mean: np.ndarray  # (K,) feature standardisation
    scale: np.ndarray  # (K,)
    coef: np.ndarray  # (C, K)
    intercept: np.ndarray  # (C,)
    threshold: float  # flag when P(not upright) > threshold
    thumb: int = THUMB  # the features are `thumbnails(prepared, thumb)`
    correct_above: float = CORRECT_ABOVE

    def __post_init__(self):
        unknown = set(self.classes) - set(TRANSFORMS)
        if unknown or UPRIGHT not in self.classes:
            raise ValueError(f"orientation classes must include 'upright' and come from "
                             f"{sorted(TRANSFORMS)}; got {self.classes}")
        self._upright = self.classes.index(UPRIGHT)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, K) features (`thumbnails`) -> (N, C) class probabilities."""
        z = (np.asarray(features, np.float64) - self.mean) / self.scale
        logits = z @ self.coef.T.astype(np.float64) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def not_upright(self, features: np.ndarray) -> np.ndarray:
        return 1.0 - self.probabilities(features)[:, self._upright]

    def check(self, prepared: np.ndarray) -> list[Orientation]:
        """Verdicts on uint8 (N, S, S) prepared images."""
        return self.decide(thumbnails(prepared, self.thumb))

    def decide(self, features: np.ndarray) -> list[Orientation]:
        probs = self.probabilities(features)
        others = probs.copy()
        others[:, self._upright] = -1.0
        verdicts = []
        for row, other in zip(probs, others, strict=True):
            not_up = float(1.0 - row[self._upright])
            flagged = not_up > self.threshold
            name = self.classes[int(np.argmax(other))] if flagged else UPRIGHT
            verdicts.append(Orientation(name=name, not_upright=not_up, flagged=flagged,
                                        correctable=flagged and not_up >= self.correct_above))
        return verdicts

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "classes": np.array(self.classes),
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float64),
            "threshold": np.float64(self.threshold),
            "thumb": np.int64(self.thumb),
            "correct_above": np.float64(self.correct_above),
        }

    def save(self, path: str | Path, **extra: np.ndarray) -> Path:
        path = Path(path)
        np.savez_compressed(path, **self.arrays(), **extra)
        return path


def load_orientation(path: str | Path) -> OrientationClassifier | None:
    """The classifier stored at `path`, or None when the model folder has none."""
    path = Path(path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        return OrientationClassifier(
            classes=[str(c) for c in data["classes"]],
            mean=data["mean"].astype(np.float64),
            scale=data["scale"].astype(np.float64),
            coef=data["coef"].astype(np.float64),
            intercept=data["intercept"].astype(np.float64),
            threshold=float(data["threshold"]),
            thumb=int(data["thumb"]),
            correct_above=float(data["correct_above"]) if "correct_above" in data else CORRECT_ABOVE,
        )
