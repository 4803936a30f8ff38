"""The numpy-only core of a site check: the model's readings of local labelled X-rays against its card.

A model card's out-of-source numbers describe hospitals like the held-out ones; a new site can
differ (scanners, patients, prevalence). Given local X-rays whose diagnosis is known, `site_report`
counts what the model did there, with 95% Wilson intervals, says how many cases a tighter interval
needs, and gives a plain verdict. The verdict can only withhold trust ("not validated for use at
this site") or say the local numbers are consistent with the card; it never turns a screening aid
into a diagnosis.

Used by the web app's site validation page (which may import only cxr.inference) and by the
toolkit's fuller report (cxr.evaluation.site_validation: bootstrap intervals, AUC, reliability
plot), so both judge by the same rules and the same numbers. Both read the labels file with
`read_labels_csv`, so a file the page takes is one `cxr validate-site` takes.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cxr.labels import class_label

# Below this many labelled readings an accuracy's 95% interval is wider than about +/- 0.1:
# too wide to judge anything.
MIN_LABELLED = 30
# The 95% normal quantile as every interval the project shows uses it (1.959964 rounded): the
# cases a site needs are worked out with the intervals it will be shown.
Z95 = 1.96
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
# The card's splits of new patients of its training collections, in the order a card without an
# out-of-source fit is compared with (`verdict`), and how the report names each split.
SEEN_SPLITS = ("patient", "random")
SPLIT_WORDS = {
    "patient": "new patients of the collections it was trained on (its patient split)",
    "random": "X-rays of the collections it was trained on (its random split)",
    "source": "collections it never saw (a model trained the same way without them)",
}
# An inconclusive verdict says how many cases would decide it, up to this many.
MAX_CASES_TO_DECIDE = 10_000
# How every 95% interval of a site's own figures is made, as the report states it.
SITE_INTERVALS = ("Wilson score intervals, for every share counted at this site (accuracy, coverage, "
                  "sensitivity, specificity, refusals, each calibration bin) and for the verdict.")


def wilson_interval(successes: int, n: int, z: float = Z95) -> list[float | None]:
    """95% Wilson score interval of a proportion: sound for small groups (a source with 5 images).

    Exactly within [0, 1] and around the observed share (low <= successes / n <= high): in floating
    point, all of 6, 21 or 31 right gave an upper end of 0.9999999999999999 and none of 11 a lower
    end of 2.8e-17, an interval that misses its own 100% or 0% (and a negative error bar)."""
    if n == 0:
        return [None, None]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = wilson_half_width(p, n, z)
    low = 0.0 if successes <= 0 else min(max(0.0, centre - half), p)
    high = 1.0 if successes >= n else max(min(1.0, centre + half), p)
    return [low, high]


def confidence_bin(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Index of each confidence's bin: (0, 1/n], (1/n, 2/n], ...; exactly 1 goes to the last bin
    and 0 to the first. Defined here, on the serving side, so the site page (which may import
    only cxr.inference) and the toolkit's ECE and reliability plots bin alike."""
    confidence = np.asarray(confidence, dtype=float)
    return np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)


def counted(n: int, noun: str) -> str:
    """'1 X-ray', '2 X-rays', '1 more labelled reading': a count with its noun (an English plural
    in -s). Translations word their counts from the params, not from these sentences."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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


def per_class_label_counts(read: Sequence[SiteCase], classes: Sequence[str]) -> dict[str, dict]:
    """Per class, over every read X-ray and the label the app shows (not the top class): cases,
    sensitivity (its cases labelled that class; an uncertain reading, which has no label, counts
    as not found) and specificity (the other cases not labelled that class; an uncertain reading
    counts as not naming it), as proportions with Wilson intervals. Beside `per_class_counts`, it
    says what a user of the app is told, not what the model ranked first."""
    if not read:
        return {}
    out = {}
    for name in classes:
        positive = [c for c in read if c.truth == name]
        negative = [c for c in read if c.truth != name]
        out[name] = {
            "cases": len(positive),
            "sensitivity": proportion(sum(c.label == name for c in positive), len(positive)),
            "specificity": proportion(sum(c.label != name for c in negative), len(negative)),
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


def card_estimate(card_trust: Mapping | None, name: str) -> dict | None:
    """A pooled out-of-source figure of the card's `trust` section with its interval ({"value",
    "ci95", "n"}); None when not measured."""
    value = card_value(card_trust, name)
    if value is None:
        return None
    figure = card_trust["measured"]["pooled"][name]
    low, high = (list(figure.get("ci95") or []) + [None, None])[:2]
    return {"value": value, "ci95": [low, high], "n": figure.get("n")}


def card_figures(card) -> dict:
    """What a site report compares with, read from a model card (cxr.inference.card.ModelCard),
    as `site_report`'s keyword arguments. The one reader of these figures, so the web page and
    `cxr validate-site` compare with the same ones:

    - card_trust: the served `trust` fit as a dict (None without one);
    - card_unseen_accuracy: the accuracy of the most likely class of a model trained the same way
      on collections it never saw (`metrics.source.accuracy`; None when not measured);
    - card_refused_unseen: per source group left out of the chest X-ray verifier's fit, the share
      of that group's test X-rays it refused (`verifier.sources_left_out[*].test_xrays`: value,
      ci95, n); None when the card has none;
    - card_split_accuracy: per split the card measured (patient, random, source), the accuracy of
      the most likely class with the card's 95% interval (value, ci95, n); None when it has none.
      What the verdict compares with when the card has no `trust` fit.
    """
    trust = card.trust.to_dict() if card.trust else None
    unseen = (card.metric("source", "accuracy") or {}).get("value")
    split_accuracy = {}
    for split in (*SEEN_SPLITS, "source"):
        figure = card.metric(split, "accuracy") or {}
        try:
            value = float(figure["value"])
        except (TypeError, KeyError, ValueError):
            continue  # not measured
        low, high = (list(figure.get("ci95") or []) + [None, None])[:2]
        size = (card.metrics or {}).get(split, {}).get("n")
        split_accuracy[split] = {"value": value, "ci95": [low, high], "n": size}
    refused = {}
    for group, figures in ((card.verifier.sources_left_out if card.verifier else None) or {}).items():
        test = figures.get("test_xrays") if isinstance(figures, Mapping) else None
        try:
            refused[str(group)] = {"value": float(test["value"]), "ci95": list(test.get("ci95") or [None, None]),
                                   "n": test.get("n")}
        except (TypeError, KeyError, ValueError):
            continue  # not measured for this group
    return {"card_trust": trust, "card_unseen_accuracy": None if unseen is None else float(unseen),
            "card_refused_unseen": refused or None, "card_split_accuracy": split_accuracy or None}


def refused_unseen_range(by_source: Mapping | None) -> dict | None:
    """{"low", "high", "groups", "by_source"}: the smallest and largest share of test X-rays the
    verifier refused of a source group left out of its fit (`card_figures`); None without any."""
    if not by_source:
        return None
    values = [float(m["value"]) for m in by_source.values()]
    return {"low": min(values), "high": max(values), "groups": len(values), "by_source": dict(by_source)}


def site_report(cases: Sequence[SiteCase], classes: Sequence[str], card_trust: Mapping | None,
                card_unseen_accuracy: float | None = None, card_refused_unseen: Mapping | None = None,
                card_split_accuracy: Mapping | None = None) -> dict:
    """Counts, coverage and labelled accuracy (the app's decisions), set coverage, per-class
    sensitivity/specificity and accuracy of the top class on every read X-ray, cases needed for
    tighter intervals, the card's figures to compare with, and the verdict. Plain JSON types only.

    `card_unseen_accuracy`: the card's accuracy of the most likely class on collections the model
    never saw (its source split), the one out-of-source figure a card without a `trust` fit has;
    the report sets the site's top-class accuracy beside it. `card_refused_unseen`: the card's
    measured refusals of source groups left out of the verifier's fit (`card_figures`), set
    beside the site's refusals and the target they are judged against. `card_split_accuracy`:
    the card's accuracy per split with its interval, what the verdict compares the site's most
    likely class with when the card has no `trust` fit. `card_figures(card)` gives all four from a
    model card."""
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
                      "refused_unseen_sources": refused_unseen_range(card_refused_unseen),
                      "split_accuracy": dict(card_split_accuracy) if card_split_accuracy else None,
                      "out_of_source": {name: card_estimate(card_trust, name)
                                        for name in ("labelled_accuracy", "coverage")}}
    report["verdict"] = verdict(report["labelled_accuracy"], target, card_accuracy,
                                report["top_class_accuracy"], card_split_accuracy)
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
    - inconclusive: the interval includes the budget (a few dozen X-rays always do); the text
      says how many X-rays in all would tell (`params["cases_to_decide"]`), and says it plainly
      when none was refused.
    """
    n = refused_share["n"]
    if not n:
        return {"code": "none_read", "params": {"n": 0, "budget": budget},
                "text": "No readable X-ray: nothing to say about refusals."}
    value, (lo, hi) = refused_share["value"], refused_share["ci95"]
    k = round(value * n)
    params = {"k": k, "n": n, "value": value, "lo": lo, "hi": hi, "budget": budget}
    observed = f"the guard refused {k} of {counted(n, 'X-ray')} as not a chest X-ray ({value:.1%}, 95% CI {lo:.1%}-{hi:.1%})"
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
    # Not yet judged: how many X-rays in all would tell, if the share refused stays as it is.
    needed = (cases_to_decide(value, budget, above=False) if value < budget
              else cases_to_decide(value, budget, above=True) if value > budget else None)
    params["cases_to_decide"] = needed
    target = f"the target of at most {budget:.0%} for hospitals it never saw"
    if needed is None:
        tell = "More X-rays will not tell: the share refused here sits on the target."
    elif k == 0:
        tell = f"About {needed} X-rays with none refused would show that ({needed - n} more)."
    else:
        tell = f"If the share stays at {value:.1%}, about {needed} X-rays in all would tell ({needed - n} more)."
    if k == 0:
        return {"code": "inconclusive", "params": params,
                "text": f"No X-ray was refused as not a chest X-ray (0 of {n}; 95% CI {lo:.1%}-{hi:.1%}), "
                        f"but {n} are too few to show that the guard keeps within {target}. {tell}"}
    return {"code": "inconclusive", "params": params,
            "text": f"Too few X-rays to judge refusals yet: {observed}; the interval includes {target}. {tell}"}


def cases_to_decide(value: float, bar: float, above: bool, limit: int = MAX_CASES_TO_DECIDE) -> int | None:
    """The fewest cases at which a share that stays at `value` has a 95% Wilson interval wholly at
    or above `bar` (`above`) or wholly below it: how many cases in all would turn an inconclusive
    verdict into one. None when no number up to `limit` would (the share sits on the bar, or on
    the wrong side of it)."""
    if (above and value <= bar) or (not above and value >= bar):
        return None

    def decided(n: int) -> bool:
        low, high = wilson_interval(value * n, n)
        return low >= bar if above else high < bar

    high = 1
    while not decided(high):  # the interval narrows around `value` as cases are added
        if high >= limit:
            return None
        high *= 2
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if decided(middle):
            high = middle
        else:
            low = middle
    return high


def _decide_text(value: float, n: int, needed: int | None, cases: str) -> str:
    """What an inconclusive verdict asks of the site, in plain words."""
    if needed is None:
        return (f"At {value:.1%} the accuracy here is too close to that figure for more cases to decide "
                f"it (not even {MAX_CASES_TO_DECIDE:,} would): treat the model as not checked at this site.")
    return (f"If it stays at {value:.1%}, about {needed} {cases} in all ({needed - n} more) would decide it; "
            "until then, treat the model as not checked at this site.")


NOT_VALIDATED_NEXT = ("Do not rely on its readings here: the per-class figures show which classes it misses. "
                      "Calibrating it on this site's own X-rays can make its stated chances honest here; it "
                      "cannot make it tell the classes apart better.")
CONSISTENT_NEXT = ("It remains a screening aid: a clinician and an RT-PCR test decide. Check again with new "
                   "cases when the X-ray equipment, its export settings or the patients change.")


def verdict(labelled_accuracy: Mapping, target: float | None, card_accuracy: float | None,
            top_class_accuracy: Mapping | None = None, split_accuracy: Mapping | None = None) -> dict:
    """`code` (stable), `text` (plain English: what the numbers say and what the site should do
    next) and `params` (the numbers in it, so a page can say it in another language).

    With an out-of-source fit on the card (`target`, `card_accuracy`: its labelled readings on
    hospitals it never saw), the site's labelled accuracy is judged; `params` holds it as n,
    value, lo, hi, with the `bar` and, when inconclusive, `cases_to_decide` (labelled readings
    in all). Without one, the most likely class of every read X-ray (`top_class_accuracy`) is
    judged against the card's accuracy on new patients of its training collections
    (`split_accuracy`, `card_figures`'s `card_split_accuracy`: the patient split, else the random
    one), with the card's accuracy on collections it never saw beside it; `params` then has
    `measure` "top_class_accuracy", `split`, the site's numbers as read, share, share_lo,
    share_hi (not n/value/lo/hi, the labelled comparison's, so that a reader knowing only that
    one falls back to `text` instead of calling them labelled readings), `bar`, bar_lo, bar_hi,
    unseen, unseen_lo, unseen_hi and `cases_to_decide` (read X-rays in all).

    - too_few_cases: fewer than MIN_LABELLED labelled readings (read X-rays when judging the most
      likely class);
    - not_validated: the upper end of the local 95% interval is below the card's figure (the
      out-of-source labelled accuracy, else the target; without a fit, the split accuracy);
    - consistent_with_card: the lower end reaches the target (or the card's figure);
    - inconclusive: the interval straddles it, or the card has nothing to compare with.
    """
    seen = _seen_split(split_accuracy)
    if target is None and card_accuracy is None and seen is not None and top_class_accuracy is not None:
        return _top_class_verdict(top_class_accuracy, *seen, (split_accuracy or {}).get("source"))
    n = labelled_accuracy["n"]
    bar = target if target is not None else card_accuracy
    if n < MIN_LABELLED:
        return {"code": "too_few_cases", "params": {"n": n, "minimum": MIN_LABELLED},
                "text": f"Not enough cases to judge: {counted(n, 'labelled reading')}; at least {MIN_LABELLED} "
                        "are needed, a few hundred for a useful interval. Add at least "
                        f"{counted(MIN_LABELLED - n, 'more labelled reading')} (more X-rays than that: the model "
                        "labels only some) and run the check again."}
    value, (lo, hi) = labelled_accuracy["value"], labelled_accuracy["ci95"]
    params = {"n": n, "value": value, "lo": lo, "hi": hi}
    observed = f"labelled readings right {value:.1%} (95% CI {lo:.1%}-{hi:.1%}, {n} readings)"
    if bar is None:
        return {"code": "inconclusive", "params": {**params, "bar": None, "cases_to_decide": None},
                "text": "The model card has no out-of-source figure for labelled readings, and no accuracy "
                        f"of any split, to compare with; {observed}. Judge these numbers against what your "
                        "service needs; the cases a tighter interval needs are given with them."}
    compare = card_accuracy if card_accuracy is not None else bar
    if hi < compare:
        return {"code": "not_validated", "params": {**params, "bar": compare},
                "text": f"Not validated for use at this site: {observed}, below the {compare:.0%} "
                        f"the model card states for hospitals it never saw. {NOT_VALIDATED_NEXT}"}
    if lo >= bar:
        return {"code": "consistent_with_card", "params": {**params, "bar": bar},
                "text": f"Consistent with the model card at this site: {observed}, at or above its "
                        f"{bar:.0%} target. {CONSISTENT_NEXT}"}
    needed = (cases_to_decide(value, bar, above=True) if value > bar
              else cases_to_decide(value, compare, above=False))
    return {"code": "inconclusive", "params": {**params, "bar": bar, "cases_to_decide": needed},
            "text": f"Inconclusive: {observed}; the interval includes the {bar:.0%} target. "
                    + _decide_text(value, n, needed, "labelled readings")}


def _seen_split(split_accuracy: Mapping | None) -> tuple[str, Mapping] | None:
    """(split, its accuracy) of new patients of the card's training collections: the patient
    split, else the random one; None when the card measured neither."""
    for split in SEEN_SPLITS:
        figure = (split_accuracy or {}).get(split)
        if figure and figure.get("value") is not None:
            return split, figure
    return None


def _interval_words(figure: Mapping) -> str:
    low, high = (figure.get("ci95") or [None, None])[:2]
    return "" if low is None or high is None else f" (95% CI {low:.1%}-{high:.1%})"


def _top_class_verdict(top_class: Mapping, split: str, seen: Mapping, unseen: Mapping | None) -> dict:
    """The verdict for a card without an out-of-source fit (`verdict`): the site's most likely
    class against the card's accuracy on new patients of its training collections."""
    n = top_class["n"]
    bar = float(seen["value"])
    bar_lo, bar_hi = (seen.get("ci95") or [None, None])[:2]
    unseen = unseen if unseen and unseen.get("value") is not None else None
    unseen_lo, unseen_hi = ((unseen or {}).get("ci95") or [None, None])[:2]
    base = {"measure": "top_class_accuracy", "split": split, "read": n, "minimum": MIN_LABELLED,
            "bar": bar, "bar_lo": bar_lo, "bar_hi": bar_hi,
            "unseen": None if unseen is None else float(unseen["value"]), "unseen_lo": unseen_lo,
            "unseen_hi": unseen_hi}
    reference = f"the {bar:.1%}{_interval_words(seen)} the model card measured on {SPLIT_WORDS[split]}"
    basis = ("The model card has no out-of-source figure for labelled readings, so the most likely class "
             "of every read X-ray is compared with its accuracy on new patients of the collections it "
             "was trained on")
    basis += (f"; on collections it never saw, a model trained the same way was right {unseen['value']:.1%}"
              f"{_interval_words(unseen)}." if unseen else ".")
    if n < MIN_LABELLED:
        return {"code": "too_few_cases", "params": base,
                "text": f"Not enough cases to judge: {counted(n, 'X-ray')} read; at least {MIN_LABELLED} are needed "
                        f"({MIN_LABELLED - n} more), a few hundred for a useful interval. {basis}"}
    value, (lo, hi) = top_class["value"], top_class["ci95"]
    params = {**base, "share": value, "share_lo": lo, "share_hi": hi}
    observed = f"the most likely class was right {value:.1%} here (95% CI {lo:.1%}-{hi:.1%}, {n} X-rays read)"
    if hi < bar:
        return {"code": "not_validated", "params": params,
                "text": f"Not validated for use at this site: {observed}, below {reference}. "
                        f"{NOT_VALIDATED_NEXT} {basis}"}
    if lo >= bar:
        return {"code": "consistent_with_card", "params": params,
                "text": f"Consistent with the model card at this site: {observed}, at or above {reference}. "
                        f"{CONSISTENT_NEXT} {basis}"}
    needed = cases_to_decide(value, bar, above=value > bar)
    return {"code": "inconclusive", "params": {**params, "cases_to_decide": needed},
            "text": f"Inconclusive: {observed}; the interval includes {reference}. "
                    f"{_decide_text(value, n, needed, 'read X-rays')} {basis}"}


# --- the labels file ------------------------------------------------------------------------
# What a site's labels file may separate its columns with: a spreadsheet saves CSV with `;` where
# the decimal mark is a comma (Indonesia, most of Europe), and some tools export tabs.
LABELS_DELIMITERS = (",", ";", "\t")
LABELS_COLUMNS = ("file", "label")


class LabelsFileError(ValueError):
    """A labels file that cannot be read as a CSV with the columns file and label. `code` says
    why and `params` holds its details, so that each reader words it in its own language; str()
    is the English sentence.

    - not_utf8: `byte` and `position` of the first byte that is not UTF-8;
    - no_columns: `columns`, the names of the first line as read (trimmed, lower case);
    - not_csv: `line` and `problem` (csv.Error: a stray quote, a field over the csv module's limit).
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class LabelRow:
    """One row of a labels file: where it ends in the file (line 1 holds the column names), the
    file's path as written (trimmed, a Windows path's backslashes made `/`), the label as written,
    and the class it names (cxr.labels.class_label: COVID-19 -> covid; an unknown label comes
    back as its slug, which no model's classes hold)."""

    line: int
    file: str
    label: str
    truth: str


def read_labels_csv(data: bytes) -> list[LabelRow]:
    """The rows of a site's labels file (`data`: its bytes), blank lines left out; LabelsFileError
    when it is not such a file. Columns may be separated by a comma, a semicolon or a tab (the
    one with which the first line names both columns), named in any case with spaces around, in
    any order beside other columns; the file may start with a UTF-8 byte order mark (Excel's CSV
    UTF-8). The checks of the rows (labels the model knows, names listed twice, where the files
    are) are each reader's: the web page pairs names with uploads, the command line with a
    folder."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsFileError("not_utf8", f"the labels file is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
                              f"at position {exc.start})", byte=exc.object[exc.start], position=exc.start) from None
    first_line = text.splitlines()[0] if text else ""
    # The separator that makes the first line name both columns; else (to name what it has) the
    # one it holds most of.
    delimiter = next((d for d in LABELS_DELIMITERS if set(LABELS_COLUMNS) <= set(_column_names(first_line, d))),
                     max(LABELS_DELIMITERS, key=first_line.count))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [(name or "").strip().lower() for name in next(reader, [])]
        if not set(LABELS_COLUMNS) <= set(header):
            raise LabelsFileError("no_columns", "the labels file needs the columns file and label in its first "
                                  f"line; it has: {', '.join(header) or 'none'}", columns=header)
        file_at, label_at = header.index("file"), header.index("label")
        rows = []
        for cells in reader:
            name = _cell(cells, file_at).replace("\\", "/")
            label = _cell(cells, label_at)
            if name or label:
                rows.append(LabelRow(reader.line_num, name, label, class_label(label)))
    except csv.Error as exc:
        raise LabelsFileError("not_csv", f"the labels file is not readable as CSV: line {reader.line_num}: {exc}",
                              line=reader.line_num, problem=str(exc)) from None
    return rows


def _column_names(line: str, delimiter: str) -> list[str]:
    try:
        return [name.strip().lower() for name in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:
        return []


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""
