"""Class-conditional split conformal prediction sets, fitted with crepes.

A prediction set holds every class that cannot be ruled out at the chosen level: with 90%
confidence, the true class of an image is in its set for at least 90% of images of EACH class,
provided the images are exchangeable with the calibration images (Vovk's Mondrian conformal
predictor with the classes as categories). Calibrated on out-of-source readings, the guarantee
is about images from unseen sources like the calibration ones; it is measured per held-out source
because a new hospital is exactly where exchangeability can fail.

The non-conformity score is the hinge score 1 - p(class) (crepes.extras.hinge). crepes fits and
gives the non-smoothed p-values; serving needs only one number per class: class c is in the set
when 1 - p_c <= threshold_c (`serving_thresholds`), the ceil((n + 1) * confidence)-th smallest of
the class's n calibration scores (the split-conformal quantile; +inf when that exceeds n). That
is the strict p-value test p_c > 1 - confidence on crepes' p-values (`crepes_sets`; tests check
both agree). So the model card carries the thresholds and the web app needs no conformal library.

Not crepes' own `predict_set`, on purpose: it keeps a class when p_c >= 1 - confidence, so a
p-value of exactly 1 - confidence (2 of 20 at 90%) is kept too, one order statistic more than the
quantile above whenever (n + 1)(1 - confidence) is a whole number: larger sets, still valid. And
1 - 0.9 is 0.09999999999999998 in floating point, which would let such a p-value of 0.1 pass the
strict test as well: the rank here is computed with that rounding error removed
(`LEVEL_TOLERANCE`), and `crepes_sets` compares with the same tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from crepes import ConformalClassifier
from crepes.extras import hinge

from cxr.inference.abstention import prediction_sets

# Levels are given as decimals (0.9); their complements carry binary rounding errors of ~1e-17.
LEVEL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ClassConditionalSets:
    """Per-class thresholds on the score 1 - p; `classes` are positions 0..C-1 of the probs."""

    confidence: float
    # (C,): +inf where a class can never be ruled out (too few calibration cases)
    thresholds: np.ndarray
    calibration_counts: np.ndarray  # (C,) int: calibration images of each class

    def sets(self, probs: np.ndarray) -> np.ndarray:
        """Boolean (N, C): which classes each image's set holds."""
        return prediction_sets(probs, self.serving_thresholds())

    def serving_thresholds(self) -> list[float | None]:
        """The thresholds as the model card carries them: None for +inf (JSON has no infinity)."""
        return [None if t == np.inf else float(t) for t in self.thresholds]


def fit_class_conditional(probs: np.ndarray, y_true: np.ndarray,
                          confidence: float = 0.9) -> ClassConditionalSets:
    """Fit with crepes on calibration probabilities and labels; return the serving thresholds."""
    probs, y_true = np.asarray(probs, dtype=np.float64), np.asarray(y_true, dtype=int)
    n_classes = probs.shape[1]
    classifier = conformal_classifier(probs, y_true)
    epsilon = 1.0 - confidence
    thresholds = np.full(n_classes, np.inf)  # +inf: never ruled out
    counts = np.bincount(y_true, minlength=n_classes)
    for c in range(n_classes):
        scores = np.sort(classifier.alphas[classifier.bins == c])[::-1]  # largest first
        m = _threshold_rank(len(scores), epsilon)
        if m > 0:
            thresholds[c] = scores[m - 1]
    return ClassConditionalSets(confidence, thresholds, counts)


def _threshold_rank(n: int, epsilon: float) -> int:
    """Which largest calibration score (1-based) is a class's threshold, among `n` of them.

    Non-smoothed p-value of score a: (#{scores >= a} + 1) / (n + 1); it exceeds epsilon iff
    #{scores >= a} >= m, with m the smallest integer above epsilon * (n + 1) - 1, that is
    floor(epsilon * (n + 1)), iff a <= the m-th largest score. m <= n whenever confidence > 0;
    m <= 0 means too few cases to rule the class out. At 90%, n = 19: m = 2 (the 2nd largest);
    without the tolerance 0.0999...98 * 20 gives 1."""
    return math.floor(epsilon * (n + 1) + LEVEL_TOLERANCE)


def min_cases_to_rule_out(confidence: float) -> int:
    """The fewest calibration cases of a class with which its sets can ever leave it out."""
    epsilon = 1.0 - confidence
    n = 1
    while _threshold_rank(n, epsilon) <= 0:
        n += 1
    return n


def conformal_classifier(probs: np.ndarray, y_true: np.ndarray) -> ConformalClassifier:
    """crepes' Mondrian conformal classifier with the true class as category (label-conditional)."""
    alphas = hinge(np.asarray(probs, dtype=np.float64), np.arange(probs.shape[1]),
                   np.asarray(y_true, dtype=int))
    return ConformalClassifier().fit(alphas, bins=np.asarray(y_true, dtype=int))


def crepes_sets(classifier: ConformalClassifier, probs: np.ndarray, confidence: float) -> np.ndarray:
    """The sets as crepes computes them (non-smoothed p-values), for checking the thresholds; the
    level's rounding error removed as in `_threshold_rank`."""
    alphas = hinge(np.asarray(probs, dtype=np.float64))
    p_values = np.column_stack([
        classifier.predict_p(alphas, bins=np.full(len(alphas), c), smoothing=False)[:, c]
        for c in range(alphas.shape[1])
    ])
    return p_values > 1.0 - confidence + LEVEL_TOLERANCE


def set_coverage(sets: np.ndarray, y_true: np.ndarray) -> float:
    """Share of images whose set holds their true class."""
    y_true = np.asarray(y_true, dtype=int)
    return float(sets[np.arange(len(y_true)), y_true].mean()) if len(y_true) else float("nan")


def mean_set_size(sets: np.ndarray) -> float:
    return float(sets.sum(axis=1).mean()) if len(sets) else float("nan")
