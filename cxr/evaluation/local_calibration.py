"""Calibrating the model at one site from that site's own labelled X-rays: what N cases buy.

Fitted on other sources, abstention and prediction sets do not transfer to a hospital the model
never saw (docs/results/trustworthy_readings.md): conformal coverage rests on the calibration
images being exchangeable with the new ones, and another hospital is exactly where they are not.
A site's own labelled X-rays are exchangeable with its next ones. So the local cases are split in
two halves, each class in both: the first fits a vector scaling of the logits (a scale and a bias
per class, Guo et al. 2017: it can learn the site's class mix and a class the model over-calls,
not a distinction the network cannot make), the second calibrates class-conditional conformal
sets (crepes, `cxr.evaluation.conformal`) and the top-probability threshold that keeps labelled
readings right at the target (`cxr.evaluation.selective`). Measured on the site's remaining X-rays.

numpy, scipy and crepes only; no torch, no web app.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.metrics import roc_auc_score

from cxr.evaluation.conformal import ClassConditionalSets, fit_class_conditional
from cxr.evaluation.selective import labelled_needed, threshold_for_accuracy
from cxr.inference.site_calibration import SiteCalibration, log_probabilities

# The pull of the scales towards 1 and the biases towards 0: a few dozen cases must not fit
# noise. With 25-100 cases per half it moves a bias by about 1 when the class mix calls for it.
L2_PULL = 0.01


@dataclass(frozen=True)
class VectorScaling:
    """softmax(logits * scale + bias), per class."""

    scale: np.ndarray  # (C,)
    bias: np.ndarray  # (C,)

    def probs(self, logits: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(logits, dtype=np.float64) * self.scale + self.bias, axis=1)


def fit_vector_scaling(logits: np.ndarray, y_true: np.ndarray, l2: float = L2_PULL) -> VectorScaling:
    """The per-class scale and bias that minimise the cross-entropy on (logits, y_true), pulled
    towards the identity by `l2`."""
    logits, y_true = np.asarray(logits, dtype=np.float64), np.asarray(y_true, dtype=int)
    n_classes = logits.shape[1]

    def loss(w: np.ndarray) -> float:
        scale, bias = w[:n_classes], w[n_classes:]
        nll = -log_softmax(logits * scale + bias, axis=1)[np.arange(len(y_true)), y_true].mean()
        return float(nll + l2 * (((scale - 1.0) ** 2).sum() + (bias ** 2).sum()))

    start = np.r_[np.ones(n_classes), np.zeros(n_classes)]
    w = minimize(loss, start, method="L-BFGS-B").x
    return VectorScaling(w[:n_classes], w[n_classes:])


@dataclass(frozen=True)
class LocalCalibration:
    """What a site's labelled X-rays set: the scaling, the sets, the label threshold."""

    scaling: VectorScaling
    sets: ClassConditionalSets
    threshold: float  # top probability needed for a label; +inf: label nothing
    target: float  # labelled readings right this often on the calibration half

    def probs(self, logits: np.ndarray) -> np.ndarray:
        return self.scaling.probs(logits)


def halves(y_true: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two halves with each class split between them (an odd one goes to the second)."""
    first, second = [], []
    for c in np.unique(y_true):
        members = rng.permutation(np.flatnonzero(y_true == c))
        cut = len(members) // 2
        first.append(members[:cut])
        second.append(members[cut:])
    return np.concatenate(first), np.concatenate(second)


def fit_local_calibration(logits: np.ndarray, y_true: np.ndarray, confidence: float = 0.9,
                          target: float = 0.9, seed: int = 0) -> LocalCalibration:
    """Fit the scaling on one half of a site's labelled X-rays; sets and threshold on the other."""
    logits, y_true = np.asarray(logits, dtype=np.float64), np.asarray(y_true, dtype=int)
    fit_rows, calibration_rows = halves(y_true, np.random.default_rng(seed))
    scaling = fit_vector_scaling(logits[fit_rows], y_true[fit_rows])
    probs = scaling.probs(logits[calibration_rows])
    truth = y_true[calibration_rows]
    sets = fit_class_conditional(probs, truth, confidence)
    threshold = threshold_for_accuracy(probs.max(axis=1), probs.argmax(axis=1) == truth, target)
    return LocalCalibration(scaling, sets, threshold, target)


def measure(calibration: LocalCalibration, logits: np.ndarray, y_true: np.ndarray) -> dict[str, float]:
    """The site's other X-rays read with its calibration: set coverage and size, accuracy of every
    reading, share labelled and right among labelled (NaN when nothing is labelled).

    `mean_set_size_seen` counts only the classes the local cases held: a class with no local case
    cannot be ruled out and is in every set, which says nothing about the X-rays themselves."""
    y_true = np.asarray(y_true, dtype=int)
    probs = calibration.probs(logits)
    sets = calibration.sets.sets(probs)
    correct = probs.argmax(axis=1) == y_true
    # As served (SiteCalibration.labels): above the threshold, and the top class in its own set.
    labelled = (probs.max(axis=1) >= calibration.threshold) & sets[np.arange(len(y_true)), probs.argmax(axis=1)]
    seen = calibration.sets.calibration_counts > 0
    return {
        "set_coverage": float(sets[np.arange(len(y_true)), y_true].mean()),
        "mean_set_size": float(sets.sum(axis=1).mean()),
        "mean_set_size_seen": float(sets[:, seen].sum(axis=1).mean()),
        "accuracy": float(correct.mean()),
        "coverage": float(labelled.mean()),
        "labelled_accuracy": float(correct[labelled].mean()) if labelled.any() else math.nan,
    }


def local_budget(logits: np.ndarray, y_true: np.ndarray, n_local: int, repeats: int = 20,
                 confidence: float = 0.9, target: float = 0.9) -> list[dict[str, float]]:
    """`repeats` draws of `n_local` labelled X-rays of one site, at random (its own class mix),
    each calibrated and measured on the site's remaining X-rays."""
    logits, y_true = np.asarray(logits, dtype=np.float64), np.asarray(y_true, dtype=int)
    if not 0 < n_local < len(y_true):
        raise ValueError(f"{n_local} local cases of {len(y_true)} leave nothing to measure on")
    results = []
    for repeat in range(repeats):
        order = np.random.default_rng(repeat).permutation(len(y_true))
        local, rest = order[:n_local], order[n_local:]
        calibration = fit_local_calibration(logits[local], y_true[local], confidence, target, seed=repeat)
        results.append(measure(calibration, logits[rest], y_true[rest]))
    return results


def pairwise_auc(logits: np.ndarray, y_true: np.ndarray, classes: list[str]) -> dict[str, float]:
    """For each pair of classes present: how well the logit difference ranks one above the other
    (AUC, 0.5 = chance). A per-class scale and bias barely changes this ranking: it is what the
    network itself can tell apart at the site, which no local calibration adds."""
    logits, y_true = np.asarray(logits, dtype=np.float64), np.asarray(y_true, dtype=int)
    present = [c for c in range(len(classes)) if (y_true == c).any()]
    out = {}
    for i, a in enumerate(present):
        for b in present[i + 1:]:
            pair = np.isin(y_true, (a, b))
            out[f"{classes[a]} / {classes[b]}"] = float(roc_auc_score(y_true[pair] == b,
                                                                     logits[pair, b] - logits[pair, a]))
    return out


# A site's what-if needs enough cases that each half holds a few of every class it has.
MIN_SITE_CASES = 40


def site_what_if(probs: np.ndarray, y_true: np.ndarray, classes: list[str], repeats: int = 20,
                 confidence: float = 0.9, target: float = 0.9) -> dict | None:
    """What calibrating at this site would give, measured on the site's own cases: `repeats`
    random halves calibrate (`fit_local_calibration`), the other half measures. Probabilities
    stand in for logits (a per-image constant does not change a softmax). Mean and the 2.5-97.5
    percentiles over the halves, the pairwise AUC of the classes present; None below
    MIN_SITE_CASES. A measurement, not a change: readings are not calibrated by it."""
    probs, y_true = np.asarray(probs, dtype=np.float64), np.asarray(y_true, dtype=int)
    if len(y_true) < MIN_SITE_CASES:
        return None
    logits = log_probabilities(probs)
    calibration_cases = len(y_true) // 2
    draws = local_budget(logits, y_true, calibration_cases, repeats, confidence, target)
    return {"calibration_cases": calibration_cases,
            # Each draw's label threshold is set on half of its calibration cases (about: each
            # class is halved on its own), a quarter of the site's.
            "threshold_cases": calibration_cases - calibration_cases // 2,
            "labelled_needed": labelled_needed(target),
            "repeats": repeats, "confidence": confidence,
            "target": target, "measured": summarise_draws(draws),
            "pairwise_auc": pairwise_auc(logits, y_true, classes)}


def threshold_cases(y_true: np.ndarray) -> int:
    """How many of a site's cases set the label threshold of `fit_local_calibration`: the second
    of its `halves` (each class halved, the odd one in it). Fewer than `labelled_needed(target)`,
    the calibration labels nothing whatever the readings."""
    counts = np.bincount(np.asarray(y_true, dtype=int))
    return int((counts - counts // 2).sum())


def summarise_draws(draws: list[dict[str, float]]) -> dict[str, dict]:
    """Per measure of `local_budget`'s draws: the mean and the 2.5-97.5 percentiles over the draws
    that have a value (NaN: nothing labelled), how many did, of how many. The spread of what one
    site could see, not a confidence interval."""
    summary = {}
    for key in draws[0]:
        values = np.array([d[key] for d in draws], dtype=np.float64)
        known = values[~np.isnan(values)]
        summary[key] = {"mean": float(known.mean()) if known.size else None,
                        "range95": [float(v) for v in np.percentile(known, [2.5, 97.5])] if known.size else None,
                        "draws": int(known.size), "of": len(values)}
    return summary


def fit_site_calibration(probs: np.ndarray, y_true: np.ndarray, classes: list[str], model_version: str,
                         confidence: float = 0.9, target: float = 0.9, site: str = "",
                         fitted_at: str | None = None, repeats: int = 20,
                         what_if: dict | None = None) -> SiteCalibration:
    """The calibration a site serves (cxr.inference.site_calibration), fitted on the served model's
    probabilities of its labelled X-rays: the scaling on one half, sets and label threshold on
    the other (`fit_local_calibration`, seed 0), with what the same procedure gave on random
    held-out halves (`site_what_if`, unless the caller has it already) as its measured figures.
    Needs MIN_SITE_CASES cases."""
    from datetime import date

    probs, y_true = np.asarray(probs, dtype=np.float64), np.asarray(y_true, dtype=int)
    if len(y_true) < MIN_SITE_CASES:
        raise ValueError(f"{len(y_true)} read cases; a site calibration needs at least {MIN_SITE_CASES}")
    fitted = fit_local_calibration(log_probabilities(probs), y_true, confidence, target, seed=0)
    if what_if is None:
        what_if = site_what_if(probs, y_true, list(classes), repeats, confidence, target)
    return SiteCalibration(
        classes=list(classes), model_version=str(model_version),
        scale=[float(v) for v in fitted.scaling.scale], bias=[float(v) for v in fitted.scaling.bias],
        set_confidence=float(confidence), set_thresholds=fitted.sets.serving_thresholds(),
        label_threshold=float(fitted.threshold) if np.isfinite(fitted.threshold) else None,
        target_accuracy=float(target), cases=int(len(y_true)),
        cases_by_class={c: int((y_true == i).sum()) for i, c in enumerate(classes)},
        fitted_at=fitted_at or date.today().isoformat(), site=site,
        measured=what_if["measured"] if what_if else {})
