"""Check the model at your hospital: its readings of your labelled X-rays against its card.

A model card's out-of-source numbers describe hospitals like the held-out ones; a new site can
differ (scanners, patients, prevalence). With a few hundred local X-rays whose diagnosis is known,
this measures what the model does there, with 95% intervals, says how many cases a tighter
interval needs, and gives a plain verdict. The verdict can only withhold trust ("not validated
for use at this site") or say the local numbers are consistent with the card; it never turns a
screening aid into a diagnosis.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cxr.evaluation.metrics import classification_report
from cxr.evaluation.report import wilson_interval

# Below this many labelled readings an accuracy's 95% interval is wider than about +/- 0.1:
# too wide to judge anything.
MIN_LABELLED = 30
Z95 = 1.959964


@dataclass(frozen=True)
class SiteCase:
    """One local X-ray: its known class, and what the model said."""

    truth: str
    label: str | None  # the model's label; None when uncertain or refused
    rejected: bool
    probabilities: dict[str, float] | None  # None when the file could not be read
    prediction_set: Sequence[str] | None


def proportion(hits: int, n: int) -> dict:
    return {"value": hits / n if n else None, "ci95": wilson_interval(hits, n), "n": n}


def cases_for_half_width(p: float, half_width: float) -> int:
    """Cases needed so that a proportion near `p` has a 95% interval of +/- `half_width`."""
    p = min(max(p, 0.01), 0.99)
    return math.ceil(Z95**2 * p * (1 - p) / half_width**2)


def validate(cases: Sequence[SiteCase], classes: Sequence[str], card_trust: dict | None,
             n_boot: int = 1000) -> dict:
    """The site report: counts, local accuracy and per-class sensitivity/specificity (all read
    X-rays, the model's top class), coverage and labelled accuracy (the app's decisions), set
    coverage, calibration, cases needed for tighter intervals, and the verdict."""
    classes = list(classes)
    read = [c for c in cases if c.probabilities is not None and not c.rejected]
    labelled = [c for c in read if c.label]
    right = sum(c.label == c.truth for c in labelled)
    report = {
        "cases": len(cases),
        "unreadable": sum(c.probabilities is None for c in cases),
        "refused": sum(c.rejected and c.probabilities is not None for c in cases),
        "read": len(read),
        "coverage": proportion(len(labelled), len(read)),
        "labelled_accuracy": proportion(right, len(labelled)),
    }
    with_sets = [c for c in read if c.prediction_set is not None]
    report["set_coverage"] = proportion(sum(c.truth in c.prediction_set for c in with_sets), len(with_sets))
    if read:
        y = np.array([classes.index(c.truth) for c in read])
        probs = np.array([[c.probabilities[k] for k in classes] for c in read])
        report["all_read"] = classification_report(y, probs, classes, n_boot=n_boot)
        report["reliability"] = {"y": y.tolist(), "probs": probs.tolist()}
    card_accuracy = _card_value(card_trust, "labelled_accuracy")
    reference = card_accuracy if card_accuracy is not None else (card_trust or {}).get("target_accuracy")
    report["cases_needed"] = {
        f"+/-{h:.2f}": cases_for_half_width(report["labelled_accuracy"]["value"] or reference or 0.9, h)
        for h in (0.10, 0.05, 0.03)
    }
    report["card"] = {"labelled_accuracy": card_accuracy,
                      "coverage": _card_value(card_trust, "coverage"),
                      "target_accuracy": (card_trust or {}).get("target_accuracy")}
    report["verdict"] = verdict(report["labelled_accuracy"], (card_trust or {}).get("target_accuracy"),
                                card_accuracy)
    return report


def _card_value(card_trust: dict | None, name: str) -> float | None:
    try:
        return float(card_trust["measured"]["pooled"][name]["value"])
    except (TypeError, KeyError, ValueError):
        return None


def verdict(labelled_accuracy: dict, target: float | None, card_accuracy: float | None) -> dict:
    """`code` (stable) and `text` (plain English) judging the local labelled accuracy.

    - too_few_cases: fewer than MIN_LABELLED labelled readings;
    - not_validated: the upper end of the local 95% interval is below the card's out-of-source
      labelled accuracy (or, where the card has none, below its target);
    - consistent_with_card: the lower end reaches the target (or the card's figure);
    - inconclusive: the interval straddles it; more cases needed.
    """
    n = labelled_accuracy["n"]
    bar = target if target is not None else card_accuracy
    if n < MIN_LABELLED:
        return {"code": "too_few_cases", "text": f"Not enough cases to judge: {n} labelled readings; "
                f"at least {MIN_LABELLED} are needed, a few hundred for a useful interval."}
    value, (lo, hi) = labelled_accuracy["value"], labelled_accuracy["ci95"]
    observed = f"labelled readings right {value:.1%} (95% CI {lo:.1%}-{hi:.1%}, {n} readings)"
    if bar is None:
        return {"code": "inconclusive", "text": f"The model card states no out-of-source figure to "
                f"compare with; {observed}."}
    compare = card_accuracy if card_accuracy is not None else bar
    if hi < compare:
        return {"code": "not_validated", "text": f"Not validated for use at this site: {observed}, "
                f"below the {compare:.0%} the model card promises out of source."}
    if lo >= bar:
        return {"code": "consistent_with_card", "text": f"Consistent with the model card at this "
                f"site: {observed}, at or above its {bar:.0%} target. It remains a screening aid: "
                "a clinician and an RT-PCR test decide."}
    return {"code": "inconclusive", "text": f"Inconclusive: {observed}; the interval includes the "
            f"{bar:.0%} target. More labelled cases will narrow it."}
