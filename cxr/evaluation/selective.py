"""Selective prediction: give a label only when a score says the reading is likely right.

A rule is a score per image (higher = more trustworthy) and a threshold; images below it are
"uncertain". Its risk-coverage curve shows, for every threshold, the share of images labelled
(coverage) against the share of those labels that are right (selective accuracy). The threshold
is chosen for a target accuracy on out-of-source readings and then measured on a source left out
of the choice, so that the stated risk is itself an out-of-source number.

The threshold is chosen on a bound, not on the accuracy seen: the lowest threshold whose seen
accuracy just reaches the target is right less often than the target more often than not (the
largest coverage is picked where the noise happens to be kind). Each threshold tried must have its
one-sided Clopper-Pearson lower bound at or above the target, with the trials' confidence split
between them (Bonferroni), so that with probability THRESHOLD_CONFIDENCE the chosen threshold's
labels are right at least `target` of the time on X-rays like the calibration ones: the risk
control of Geifman & El-Yaniv (2017, "Selection with guaranteed risk") and Angelopoulos et al.
(2021, "Learn then test") over a grid fixed by the scores alone.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import beta

# A threshold must leave at least this many labelled readings behind its accuracy: fewer give an
# accuracy too noisy to promise anything (a 95% interval wider than about +/- 0.1).
MIN_LABELLED = 30
# How sure the promise "labels right >= target" is; the usual level of risk-controlling
# selection (a 1 in 10 chance that the chosen threshold's labels are right less often).
THRESHOLD_CONFIDENCE = 0.9
# How many thresholds are tried: each more costs confidence per trial (Bonferroni), each fewer
# coverage between the grid's steps.
THRESHOLD_CANDIDATES = 10


def risk_coverage(scores: np.ndarray, correct: np.ndarray) -> dict[str, np.ndarray]:
    """For thresholds at each distinct score, highest first: coverage and selective accuracy."""
    scores, correct = np.asarray(scores, dtype=np.float64), np.asarray(correct, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    sorted_scores, hits = scores[order], np.cumsum(correct[order])
    # The last position of each run of equal scores: a threshold labels all of a tie or none.
    last = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    labelled = last + 1
    return {"threshold": sorted_scores[last], "coverage": labelled / max(len(scores), 1),
            "accuracy": hits[last] / labelled, "labelled": labelled, "right": hits[last]}


def accuracy_lower_bound(right: int, labelled: int, confidence: float) -> float:
    """One-sided Clopper-Pearson lower bound on a proportion: with probability `confidence` the
    true accuracy is at least this, given `right` of `labelled` seen right."""
    if labelled <= 0:
        raise ValueError("no labelled readings to bound")
    return 0.0 if right <= 0 else float(beta.ppf(1.0 - confidence, right, labelled - right + 1))


def threshold_for_accuracy(scores: np.ndarray, correct: np.ndarray, target: float,
                           min_labelled: int = MIN_LABELLED, confidence: float = THRESHOLD_CONFIDENCE,
                           candidates: int = THRESHOLD_CANDIDATES) -> float:
    """The lowest threshold (largest coverage) whose labels are right >= `target`, with
    probability `confidence` (module docstring): of up to `candidates` thresholds spread evenly
    over those labelling at least `min_labelled` readings, the lowest whose accuracy's lower bound
    at confidence 1 - (1 - confidence) / candidates reaches the target.

    Returns +inf (label nothing) where none does: abstaining on everything is the honest answer
    then, and the only one with few calibration cases: with the full grid, `labelled_needed`
    readings above a threshold (44 for 0.90), every one right, are the fewest that can promise
    the target; 30 cannot.
    """
    curve = risk_coverage(scores, correct)
    eligible = np.flatnonzero(curve["labelled"] >= min_labelled)
    if not eligible.size:
        return float("inf")
    # The grid depends on the scores only, never on which readings were right.
    tried = eligible[np.unique(np.linspace(0, eligible.size - 1, min(candidates, eligible.size)).round().astype(int))]
    per_trial = 1.0 - (1.0 - confidence) / tried.size
    bounds = np.array([accuracy_lower_bound(int(curve["right"][i]), int(curve["labelled"][i]), per_trial)
                       for i in tried])
    ok = tried[bounds >= target]
    return float(curve["threshold"][ok].min()) if ok.size else float("inf")


def labelled_needed(target: float, confidence: float = THRESHOLD_CONFIDENCE,
                    candidates: int = THRESHOLD_CANDIDATES, min_labelled: int = MIN_LABELLED) -> int:
    """The fewest labelled readings, every one right, whose accuracy's lower bound reaches
    `target` at the per-trial confidence of a full grid of `candidates` thresholds: with fewer
    above every threshold, `threshold_for_accuracy` labels nothing whatever the readings, and
    with some wrong it needs more. (A grid cut short, which only a calibration set of fewer than
    `min_labelled + candidates` readings has, tries fewer thresholds at a lower confidence each.)"""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target {target} is not between 0 and 1")
    per_trial = 1.0 - (1.0 - confidence) / candidates
    # All right, the bound is (1 - per_trial) ** (1 / n); counted up from its closed form so that
    # rounding cannot leave it a reading short.
    n = max(min_labelled, math.floor(math.log(1.0 - per_trial) / math.log(target)))
    while accuracy_lower_bound(n, n, per_trial) < target:
        n += 1
    return n


def area_under_risk_coverage(scores: np.ndarray, correct: np.ndarray) -> float:
    """Mean selective risk over coverage (AURC; lower is better): one number per rule."""
    curve = risk_coverage(scores, correct)
    widths = np.diff(np.r_[0.0, curve["coverage"]])
    return float(((1.0 - curve["accuracy"]) * widths).sum())
