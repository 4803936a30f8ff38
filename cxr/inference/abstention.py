"""When a reading gets a label, which classes it cannot rule out, and whether the image is
familiar: the serving side of the parameters fitted on out-of-source readings.

The fitting (cxr.evaluation.trust, with crepes for the conformal sets) and the serving use these
same functions, so what the model card promises is computed the way the app decides. numpy only.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def prediction_sets(probs: np.ndarray, thresholds: Sequence[float | None]) -> np.ndarray:
    """Boolean (N, C): class c is in an image's set when 1 - p_c <= thresholds[c].

    A threshold of None (JSON's stand-in for +infinity) keeps the class in every set: there were
    too few calibration cases of it to rule it out at the stated level.
    """
    limits = np.array([np.inf if t is None else t for t in thresholds], dtype=np.float64)
    return (1.0 - np.asarray(probs, dtype=np.float64)) <= limits[None, :]


# Abstention scores: higher means the reading is more likely right; below the fitted threshold
# the reading is "uncertain". Inputs: calibrated probabilities (N, C), whether each image's
# prediction set holds one class, whether each image is unfamiliar.
RuleScore = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
RULES: dict[str, RuleScore] = {
    "max_probability": lambda p, single, unfamiliar: p.max(axis=1),
    "margin": lambda p, single, unfamiliar: np.diff(np.sort(p, axis=1)[:, -2:], axis=1)[:, 0],
    "max_probability_if_familiar": lambda p, single, unfamiliar: np.where(unfamiliar, 0.0, p.max(axis=1)),
    "max_probability_if_single_class_set": lambda p, single, unfamiliar: np.where(single, p.max(axis=1), 0.0),
}


def rule_scores(rule: str, probs: np.ndarray, sets: np.ndarray, unfamiliar: np.ndarray) -> np.ndarray:
    try:
        score = RULES[rule]
    except KeyError:
        raise ValueError(f"unknown abstention rule {rule!r}; known: {sorted(RULES)}") from None
    probs = np.asarray(probs, dtype=np.float64)
    return score(probs, sets.sum(axis=1) == 1, np.asarray(unfamiliar, dtype=bool))


def labelled(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    """Which readings get a label; a threshold of None (no rule reached its target) labels none."""
    return np.zeros(len(scores), dtype=bool) if threshold is None else np.asarray(scores) >= threshold
