"""Selective prediction: give a label only when a score says the reading is likely right.

A rule is a score per image (higher = more trustworthy) and a threshold; images below it are
"uncertain". Its risk-coverage curve shows, for every threshold, the share of images labelled
(coverage) against the share of those labels that are right (selective accuracy). The threshold
is chosen for a target accuracy on out-of-source readings and then measured on a source left out
of the choice, so that the stated risk is itself an out-of-source number.
"""
from __future__ import annotations

import numpy as np

# A threshold must leave at least this many labelled readings behind its accuracy: fewer give an
# accuracy too noisy to promise anything (a 95% interval wider than about +/- 0.1).
MIN_LABELLED = 30


def risk_coverage(scores: np.ndarray, correct: np.ndarray) -> dict[str, np.ndarray]:
    """For thresholds at each distinct score, highest first: coverage and selective accuracy."""
    scores, correct = np.asarray(scores, dtype=np.float64), np.asarray(correct, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    sorted_scores, hits = scores[order], np.cumsum(correct[order])
    # The last position of each run of equal scores: a threshold labels all of a tie or none.
    last = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    labelled = last + 1
    return {"threshold": sorted_scores[last], "coverage": labelled / max(len(scores), 1),
            "accuracy": hits[last] / labelled, "labelled": labelled}


def threshold_for_accuracy(scores: np.ndarray, correct: np.ndarray, target: float,
                           min_labelled: int = MIN_LABELLED) -> float:
    """The lowest threshold (largest coverage) whose labelled readings are right >= `target`.

    Returns +inf (label nothing) where no threshold with at least `min_labelled` labels reaches
    the target: abstaining on everything is the honest answer then.
    """
    curve = risk_coverage(scores, correct)
    ok = (curve["accuracy"] >= target) & (curve["labelled"] >= min_labelled)
    return float(curve["threshold"][ok].min()) if ok.any() else float("inf")


def area_under_risk_coverage(scores: np.ndarray, correct: np.ndarray) -> float:
    """Mean selective risk over coverage (AURC; lower is better): one number per rule."""
    curve = risk_coverage(scores, correct)
    widths = np.diff(np.r_[0.0, curve["coverage"]])
    return float(((1.0 - curve["accuracy"]) * widths).sum())
