"""The numpy-only core of a site check: the model's readings of local labelled X-rays against its card.

A model card's out-of-source numbers describe hospitals like the held-out ones; a new site can
differ (scanners, patients, prevalence). Given local X-rays whose diagnosis is known, `site_report`
counts what the model did there, with 95% Wilson intervals, says how many cases a tighter interval
needs, and gives a plain verdict. The verdict can only withhold trust ("not validated for use at
this site") or say the local numbers are consistent with the card; it never turns a screening aid
into a diagnosis.

Used by the web app's site validation page (which may import only cxr.inference) and by the
toolkit's fuller report (cxr.evaluation.site_validation: bootstrap intervals, AUC, reliability
plot), so both judge by the same rules and the same numbers.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Below this many labelled readings an accuracy's 95% interval is wider than about +/- 0.1:
# too wide to judge anything.
MIN_LABELLED = 30
Z95 = 1.959964
HALF_WIDTHS = (0.10, 0.05, 0.03)
# The target: the guard is built to refuse at most this share of the real frontal chest X-rays of
# a hospital it never saw (issue 15's goal). A design target, not a measurement: what the card
# measured is `card_figures`'s `card_refused_unseen` (the chest X-ray verifier, fitted without a
# source group, refused 0-0.9% of that group's test X-rays; models/bundled/model_card.json,
# verifier.sources_left_out). More at a site means its films look unlike every training source,
# or the set holds pictures that are not frontal films.
REFUSAL_TARGET = 0.02
# Bins of the stated chance for a site's calibration plot: tenths. A site check holds dozens to
# a few hundred X-rays; the toolkit's 15 bins (cxr.evaluation.metrics.ECE_BINS) would leave most
# of them with a handful of cases and intervals from 0 to 1.
CALIBRATION_BINS = 10
# How every 95% interval of a site's own figures is made, as the report states it.
SITE_INTERVALS = ("Wilson score intervals, for every share counted at this site (accuracy, coverage, "
                  "sensitivity, specificity, refusals, each calibration bin) and for the verdict.")


def wilson_interval(successes: int, n: int, z: float = 1.96) -> list[float | None]:
    """95% Wilson score interval of a proportion: sound for small groups (a source with 5 images).

    Exactly within [0, 1] and around the observed share (low <= successes / n <= high): in floating
    point, all of 6, 21 or 31 right gave an upper end of 0.9999999999999999 and none of 11 a lower
    end of 2.8e-17, an interval that misses its own 100% or 0% (and a negative error bar)."""
    if n == 0:
        return [None, None]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes <= 0 else min(max(0.0, centre - half), p)
    high = 1.0 if successes >= n else max(min(1.0, centre + half), p)
    return [low, high]


def confidence_bin(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Index of each confidence's bin: (0, 1/n], (1/n, 2/n], ...; exactly 1 goes to the last bin
    and 0 to the first. Defined here, on the serving side, so the site page (which may import
    only cxr.inference) and the toolkit's ECE and reliability plots bin alike."""
    confidence = np.asarray(confidence, dtype=float)
    return np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)


def proportion(hits: int, n: int) -> dict:
    """{"value", "ci95" (Wilson), "n"}; value None when n is 0."""
    return {"value": hits / n if n else None, "ci95": wilson_interval(hits, n), "n": n}


@dataclass(frozen=True)
class SiteCase:
    """One local X-ray: its known class, and what the model said."""

    truth: str
    label: str | None  # the model's label; None when uncertain or refused
    rejected: bool
    probabilities: Mapping[str, float] | None  # None when the file could not be read
    prediction_set: Sequence[str] | None


def wilson_half_width(p: float, n: int, z: float = Z95) -> float:
    """Half the width of the Wilson interval of a proportion `p` measured on `n` cases."""
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def cases_for_half_width(p: float, half_width: float) -> int:
    """The fewest cases for which a proportion near `p` has a 95% Wilson interval (the interval
    every site figure is shown with) of at most +/- `half_width`. The textbook z^2 p(1-p)/h^2 is
    the normal approximation's answer: near p = 1 it promises too few (4 cases for +/-0.10 at
    0.99, where Wilson's interval is then +/-0.25)."""
    p = min(max(p, 0.0), 1.0)
    high = 1
    while wilson_half_width(p, high) > half_width:  # the width shrinks as cases are added
        high *= 2
    low = high // 2  # wider than half_width at `low` (or low = 0), narrow enough at `high`
    while high - low > 1:
        middle = (low + high) // 2
        if wilson_half_width(p, middle) > half_width:
            low = middle
        else:
            high = middle
    return high


def planning_proportion(measured: Mapping, fallback: float) -> float:
    """The accuracy to plan a sample size with: of the values the measured 95% interval allows,
    the one that needs the most cases (the closest to 0.5). Planned at the point estimate, 4 of 4
    right promised a +/-0.05 interval from 16 cases; the interval (0.51-1.00) says it may take
    hundreds. `fallback` when nothing was measured."""
    ci = measured.get("ci95") if measured.get("value") is not None else None
    if not ci or any(bound is None for bound in ci):
        return fallback
    low, high = ci
    return min(max(0.5, low), high)


def _top_class(case: SiteCase, classes: Sequence[str]) -> str:
    return classes[int(np.argmax([case.probabilities[k] for k in classes]))]


def read_cases(cases: Sequence[SiteCase]) -> list[SiteCase]:
    """The cases the model read (not unreadable, not refused as "not a chest X-ray")."""
    return [c for c in cases if c.probabilities is not None and not c.rejected]


def per_class_counts(read: Sequence[SiteCase], classes: Sequence[str]) -> dict[str, dict]:
    """Per class, over every read X-ray and the model's top class (labelled or not): cases,
    sensitivity and specificity as proportions with Wilson intervals."""
    if not read:
        return {}
    y = np.array([list(classes).index(c.truth) for c in read])
    top = np.array([int(np.argmax([c.probabilities[k] for k in classes])) for c in read])
    out = {}
    for i, name in enumerate(classes):
        positive, predicted = y == i, top == i
        out[name] = {
            "cases": int(positive.sum()),
            "sensitivity": proportion(int((positive & predicted).sum()), int(positive.sum())),
            "specificity": proportion(int((~positive & ~predicted).sum()), int((~positive).sum())),
        }
    return out


def calibration_bins(read: Sequence[SiteCase], classes: Sequence[str],
                     n_bins: int = CALIBRATION_BINS) -> list[dict]:
    """The site's calibration plot as data: per bin of the chance the model gave its most likely
    class (every read X-ray, labelled or not), the bin's range, its mean stated chance, and how
    often that class was right, with the Wilson 95% interval. Honest probabilities put `right`
    near `stated`; the interval says how far a few cases can tell. Empty bins are left out.
    Bins as `confidence_bin`."""
    groups: dict[int, list[tuple[float, bool]]] = {}
    for case in read:
        chances = [float(case.probabilities[k]) for k in classes]
        top = int(np.argmax(chances))
        index = int(confidence_bin(chances[top], n_bins))
        groups.setdefault(index, []).append((chances[top], classes[top] == case.truth))
    return [{"low": index / n_bins, "high": (index + 1) / n_bins,
             "stated": sum(chance for chance, _ in members) / len(members),
             "right": proportion(sum(hit for _, hit in members), len(members))}
            for index, members in sorted(groups.items())]


def card_value(card_trust: Mapping | None, name: str) -> float | None:
    """A pooled out-of-source figure of the card's `trust` section (e.g. labelled_accuracy)."""
    try:
        return float(card_trust["measured"]["pooled"][name]["value"])
    except (TypeError, KeyError, ValueError):
        return None


def card_figures(card) -> dict:
    """What a site report compares with, read from a model card (cxr.inference.card.ModelCard),
    as `site_report`'s keyword arguments. The one reader of these figures, so the web page and
    `cxr validate-site` compare with the same ones:

    - card_trust: the served `trust` fit as a dict (None without one);
    - card_unseen_accuracy: the accuracy of the most likely class of a model trained the same way
      on collections it never saw (`metrics.source.accuracy`; None when not measured);
    - card_refused_unseen: per source group left out of the chest X-ray verifier's fit, the share
      of that group's test X-rays it refused (`verifier.sources_left_out[*].test_xrays`: value,
      ci95, n); None when the card has none.
    """
    trust = card.trust.to_dict() if card.trust else None
    unseen = (card.metric("source", "accuracy") or {}).get("value")
    refused = {}
    for group, figures in ((card.verifier.sources_left_out if card.verifier else None) or {}).items():
        test = figures.get("test_xrays") if isinstance(figures, Mapping) else None
        try:
            refused[str(group)] = {"value": float(test["value"]), "ci95": list(test.get("ci95") or [None, None]),
                                   "n": test.get("n")}
        except (TypeError, KeyError, ValueError):
            continue  # not measured for this group
    return {"card_trust": trust, "card_unseen_accuracy": None if unseen is None else float(unseen),
            "card_refused_unseen": refused or None}


def refused_unseen_range(by_source: Mapping | None) -> dict | None:
    """{"low", "high", "groups", "by_source"}: the smallest and largest share of test X-rays the
    verifier refused of a source group left out of its fit (`card_figures`); None without any."""
    if not by_source:
        return None
    values = [float(m["value"]) for m in by_source.values()]
    return {"low": min(values), "high": max(values), "groups": len(values), "by_source": dict(by_source)}


def site_report(cases: Sequence[SiteCase], classes: Sequence[str], card_trust: Mapping | None,
                card_unseen_accuracy: float | None = None, card_refused_unseen: Mapping | None = None) -> dict:
    """Counts, coverage and labelled accuracy (the app's decisions), set coverage, per-class
    sensitivity/specificity and accuracy of the top class on every read X-ray, cases needed for
    tighter intervals, the card's figures to compare with, and the verdict. Plain JSON types only.

    `card_unseen_accuracy`: the card's accuracy of the most likely class on collections the model
    never saw (its source split), the one out-of-source figure a card without a `trust` fit has;
    the report sets the site's top-class accuracy beside it. `card_refused_unseen`: the card's
    measured refusals of source groups left out of the verifier's fit (`card_figures`), set
    beside the site's refusals and the target they are judged against. `card_figures(card)`
    gives all three from a model card."""
    classes = list(classes)
    unknown = sorted({c.truth for c in cases} - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown} are not classes of the model ({classes})")
    read = read_cases(cases)
    labelled = [c for c in read if c.label]
    right = sum(c.label == c.truth for c in labelled)
    with_sets = [c for c in read if c.prediction_set is not None]
    report = {
        "cases": len(cases),
        "unreadable": sum(c.probabilities is None for c in cases),
        "refused": sum(c.rejected and c.probabilities is not None for c in cases),
        "read": len(read),
        "labelled": len(labelled),
        "right": right,
        "by_truth": {name: sum(c.truth == name for c in cases) for name in classes},
        "coverage": proportion(len(labelled), len(read)),
        "labelled_accuracy": proportion(right, len(labelled)),
        "set_coverage": proportion(sum(c.truth in c.prediction_set for c in with_sets), len(with_sets)),
        "top_class_accuracy": proportion(sum(_top_class(c, classes) == c.truth for c in read), len(read)),
        "per_class": per_class_counts(read, classes),
        "calibration": calibration_bins(read, classes),
        "intervals": {"site": SITE_INTERVALS},
    }
    card_accuracy = card_value(card_trust, "labelled_accuracy")
    target = (card_trust or {}).get("target_accuracy")
    reference = card_accuracy if card_accuracy is not None else target
    planned = planning_proportion(report["labelled_accuracy"], reference or 0.9)
    report["cases_needed"] = {f"+/-{h:.2f}": cases_for_half_width(planned, h) for h in HALF_WIDTHS}
    report["card"] = {"labelled_accuracy": card_accuracy, "coverage": card_value(card_trust, "coverage"),
                      "target_accuracy": target, "unseen_accuracy": card_unseen_accuracy,
                      "refusal_target": REFUSAL_TARGET,
                      "refused_unseen_sources": refused_unseen_range(card_refused_unseen)}
    report["verdict"] = verdict(report["labelled_accuracy"], target, card_accuracy)
    report["refused_share"] = proportion(report["refused"], len(cases) - report["unreadable"])
    report["refusal_check"] = refusal_check(report["refused_share"])
    return report


def refusal_check(refused_share: Mapping, budget: float = REFUSAL_TARGET) -> dict:
    """`code`, `text` and `params` judging how many of the site's readable X-rays the guard refused
    as "not a chest X-ray", against `budget` (the target, REFUSAL_TARGET; the codes keep the
    word "budget" so stored reports stay readable):

    - none_read: no readable X-ray;
    - above_budget: the lower end of the 95% interval is above the budget: the guard refuses this
      site's films more often than it should (they get no reading at all);
    - within_budget: the whole interval is at or below the budget (0 of 189 or more, say);
    - inconclusive: the interval includes the budget (a few dozen X-rays always do).
    """
    n = refused_share["n"]
    if not n:
        return {"code": "none_read", "params": {"n": 0, "budget": budget},
                "text": "No readable X-ray: nothing to say about refusals."}
    value, (lo, hi) = refused_share["value"], refused_share["ci95"]
    k = round(value * n)
    params = {"k": k, "n": n, "value": value, "lo": lo, "hi": hi, "budget": budget}
    observed = f"the guard refused {k} of {n} X-rays as not a chest X-ray ({value:.1%}, 95% CI {lo:.1%}-{hi:.1%})"
    if lo > budget:
        return {"code": "above_budget", "params": params,
                "text": f"Too many refused: {observed}, above the target of at most {budget:.0%} for "
                        "hospitals it never saw. If these are whole frontal chest X-rays, this site's films look "
                        "unlike the training sources: check how they are exported (whole film, no "
                        "photographs of screens, no burned-in frames); refused X-rays get no reading."}
    if hi <= budget:
        return {"code": "within_budget", "params": params,
                "text": f"Refusals as expected: {observed}, within the target of at most {budget:.0%} "
                        "for hospitals it never saw."}
    return {"code": "inconclusive", "params": params,
            "text": f"Refusals inconclusive: {observed}; the interval includes the target of at most "
                    f"{budget:.0%} for hospitals it never saw. More cases will tell."}


def verdict(labelled_accuracy: Mapping, target: float | None, card_accuracy: float | None) -> dict:
    """`code` (stable), `text` (plain English) and `params` (the numbers in it, so a page can say
    it in another language) judging the local labelled accuracy.

    - too_few_cases: fewer than MIN_LABELLED labelled readings;
    - not_validated: the upper end of the local 95% interval is below the card's out-of-source
      labelled accuracy (or, where the card has none, below its target);
    - consistent_with_card: the lower end reaches the target (or the card's figure);
    - inconclusive: the interval straddles it, or the card has nothing to compare with.
    """
    n = labelled_accuracy["n"]
    bar = target if target is not None else card_accuracy
    if n < MIN_LABELLED:
        return {"code": "too_few_cases", "params": {"n": n, "minimum": MIN_LABELLED},
                "text": f"Not enough cases to judge: {n} labelled readings; at least {MIN_LABELLED} "
                        "are needed, a few hundred for a useful interval."}
    value, (lo, hi) = labelled_accuracy["value"], labelled_accuracy["ci95"]
    params = {"n": n, "value": value, "lo": lo, "hi": hi}
    observed = f"labelled readings right {value:.1%} (95% CI {lo:.1%}-{hi:.1%}, {n} readings)"
    if bar is None:
        return {"code": "inconclusive", "params": {**params, "bar": None},
                "text": "The model card has no out-of-source figure for labelled readings to compare "
                        f"with; {observed}."}
    compare = card_accuracy if card_accuracy is not None else bar
    if hi < compare:
        return {"code": "not_validated", "params": {**params, "bar": compare},
                "text": f"Not validated for use at this site: {observed}, below the {compare:.0%} "
                        "the model card states for hospitals it never saw."}
    if lo >= bar:
        return {"code": "consistent_with_card", "params": {**params, "bar": bar},
                "text": f"Consistent with the model card at this site: {observed}, at or above its "
                        f"{bar:.0%} target. It remains a screening aid: a clinician and an RT-PCR "
                        "test decide."}
    return {"code": "inconclusive", "params": {**params, "bar": bar},
            "text": f"Inconclusive: {observed}; the interval includes the {bar:.0%} target. More "
                    "labelled cases will narrow it."}
