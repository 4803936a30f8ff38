"""The model card's limitations, in plain words with codes (so the app can translate them).

Written into the card by the exporter (cxr.export.bundle) and again by `python -m cxr trust`
when the out-of-source fit changes what the card may claim about calibration. Card -> Notices,
nothing else: no torch, so every writer of a card can use it.
"""
from __future__ import annotations

from typing import NamedTuple

from cxr.inference.card import HeatmapCheck, ModelCard, is_number
from cxr.inference.notices import Notice
from cxr.inference.site_check import wilson_interval


def limitation_notices(card: ModelCard) -> list:
    """The card's limitations as Notices (English text + code), so the app can translate them."""
    return [
        Notice("card_not_a_diagnosis"),
        Notice("card_source_shortcut"),
        Notice("card_unfamiliar_errors"),
        Notice("card_covid_meaning"),
        Notice("card_label_noise"),
        Notice("card_frontal_only"),
        _guard_notice(card),
        _calibration_notice(card),
        _heatmap_notice(card.heatmap_check),
    ]


class FalseRefusals(NamedTuple):
    """Real test X-rays the guard refused: the share, of how many, and so how many (None where the
    card lacks the measurement)."""

    share: float | None
    tested: int | None

    @property
    def refused(self) -> int | None:
        return round(self.share * self.tested) if self.share is not None and self.tested else None


def guard_false_refusals(card: ModelCard) -> FalseRefusals:
    """Real test X-rays the guard refused: the whole served guard's when the card has them
    (measured with the verifier), else the feature guard's own."""
    whole = (card.verifier.served_guard_patient_split_test or {}) if card.verifier else {}
    if whole.get("n"):
        return FalseRefusals(whole["value"], whole["n"])
    return FalseRefusals(card.ood.false_refusal_rate_test, card.ood.test_images) if card.ood \
        else FalseRefusals(None, None)


def non_xray_refusal_share(card: ModelCard) -> float | None:
    """The share of the card's non-X-ray pictures the guard refuses: the whole served guard's with
    the pictures' family left out of the verifier's fit where the card has it (the verifier is
    fitted on those very pictures, so refusing them after is no measurement), else the share
    the export measured before any verifier."""
    left_out = ((card.verifier.families_left_out or {}) if card.verifier else {}).get("pictures") or {}
    whole = left_out.get("whole_guard") or {}
    if whole.get("value") is not None:
        return whole["value"]
    return card.ood.negative_refusal_rate if card.ood else None


def _guard_notice(card: ModelCard) -> Notice:
    """Counts, not a rate: "about 0.0%" read as if the guard never refuses anything."""
    refusals = guard_false_refusals(card)
    return Notice("card_ood_guard", refused=refusals.refused, test_images=refusals.tested,
                  negative_refusal_percent=100 * non_xray_refusal_share(card))


def unseen_source_caveat(card: ModelCard, label: str | None = None) -> Notice | None:
    """The warning every labelled reading carries when its label threshold and probabilities were
    fitted on seen sources only (no out-of-source `trust` fit): how often the same recipe's label
    `label` was right on collections it never saw (the card's `source` split), with how many
    such labels that rests on, against new patients of the collections it learnt from
    (`patient`). Overall accuracy where the card lacks the label's own figures: it is not the
    label's ("No findings" was right 32% of the time when overall accuracy was 38%). None when
    the card has no such measurement, or a trust fit."""
    if card.trust and card.trust.rule:
        return None
    if label is not None and (own := _label_precision(card, label)):
        return own
    unseen = card.metric("source", "accuracy") or {}
    seen = card.metric("patient", "accuracy") or {}
    if unseen.get("value") is None or seen.get("value") is None or None in (unseen.get("ci95") or [None]):
        return None
    low, high = unseen["ci95"]
    return Notice("label_unverified_unseen_sources", source_percent=100 * unseen["value"],
                  source_low_percent=100 * low, source_high_percent=100 * high,
                  patient_percent=100 * seen["value"])


def _label_precision(card: ModelCard, label: str) -> Notice | None:
    """Precision of `label` out of source (the card's per-class PPV and the counts from the
    confusion matrix: true classes in rows, labels in columns) against the patient split; None
    where any of it is missing.

    The interval is the Wilson interval of right/said, not the card's: the card's bootstrap keeps
    each true class's count fixed, so its PPV interval only carries the noise of the per-class
    rates at that test set's class mix ("normal" 130 of 402: 31-34%), while the caveat speaks of
    how often the label was right among the times it was given (28-37%). Neither counts that the
    unseen images came from two collections only; the caveat says how many labels it rests on."""
    source, patient = ((card.metrics or {}).get(split) or {} for split in ("source", "patient"))
    unseen = ((source.get("per_class") or {}).get(label) or {}).get("ppv") or {}
    seen = ((patient.get("per_class") or {}).get(label) or {}).get("ppv") or {}
    classes, matrix = source.get("classes") or [], source.get("confusion_matrix")
    if not (is_number(unseen.get("value")) and is_number(seen.get("value"))
            and label in classes and isinstance(matrix, list) and len(matrix) == len(classes)):
        return None
    column = classes.index(label)
    said = sum(int(row[column]) for row in matrix)
    right = int(matrix[column][column])
    if not said:
        return None
    low, high = wilson_interval(right, said)
    return Notice("label_unverified_unseen_class", label=label, source_percent=100 * right / said,
                  source_low_percent=100 * low, source_high_percent=100 * high, right=right,
                  said=said, patient_percent=100 * seen["value"])


def _calibration_notice(card: ModelCard) -> Notice:
    """Where the probabilities were calibrated: out of source (card.trust) or on seen sources,
    with the calibration error measured on collections the model never saw where the card has it."""
    pooled = ((card.trust.measured or {}).get("pooled") or {}) if card.trust else {}
    if not pooled:
        return _unseen_source_calibration(card) or Notice("card_calibration")
    return Notice("card_calibration_out_of_source",
                  groups=len(card.trust.protocol.get("groups", {})),
                  ece=pooled["ece"]["value"],
                  coverage_percent=100 * pooled["coverage"]["value"],
                  accuracy_percent=100 * (pooled["labelled_accuracy"]["value"] or 0.0),
                  target_percent=100 * card.trust.target_accuracy)


def _unseen_source_calibration(card: ModelCard) -> Notice | None:
    """Calibrated on seen sources: how far off the stated confidence was on the collections of the
    card's `source` split (a model trained the same way without them). The error after temperature
    scaling where the card has it, as served probabilities are scaled; None without a measurement."""
    source = (card.metrics or {}).get("source") or {}
    ece = source.get("ece_after_temperature")
    if not is_number(ece):
        ece = (card.metric("source", "ece") or {}).get("value")
    if not is_number(ece) or not is_number(source.get("n")):
        return None
    return Notice("card_calibration_unseen_sources", images=int(source["n"]), ece=float(ece),
                  ece_points=100 * float(ece))


def _heatmap_notice(check: HeatmapCheck | None):
    """The heat-map limitation, with the measured share on the lungs when the card has it."""
    if not check:
        return Notice("card_heatmap")
    covid_peak_on_lungs = ((check.by_label or {}).get("covid") or {}).get("peak_on_lungs", check.peak_on_lungs)
    return Notice("card_heatmap_measured", images=check.images,
                  on_lungs_percent=100 * check.heat_on_lungs,
                  even_percent=100 * check.lung_area,
                  best_percent=100 * check.best_possible,
                  peak_off_percent=100 * (1 - check.peak_on_lungs),
                  covid_peak_off_percent=100 * (1 - covid_peak_on_lungs))


def with_limitations(card: ModelCard) -> ModelCard:
    """The card with `limitations` (English, for people reading the JSON) and
    `limitation_notices` (code + parameters, for apps that translate)."""
    notices = limitation_notices(card)
    return card.replace(limitations=tuple(str(n) for n in notices),
                        limitation_notices=tuple(n.as_dict() for n in notices))
