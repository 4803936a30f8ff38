"""What the card says of itself is what was measured: the guard's false refusals of real X-rays are
the whole served guard's when the card has them, and a label without an out-of-source fit states
how the same recipe did on collections it never saw."""
from __future__ import annotations

from cxr.inference.card import BUNDLED_MODEL_DIR, Guard, ModelCard, Trust, VerifierCheck
from cxr.inference.limitations import limitation_notices, unseen_source_caveat, with_limitations


def _guard_notice(card: ModelCard):
    [notice] = [n for n in limitation_notices(card) if n.code == "card_ood_guard"]
    return notice


def _card(verifier: VerifierCheck | None) -> ModelCard:
    guard = Guard(false_refusal_rate_test=1 / 752, test_images=752, negative_refusal_rate=1.0)
    return ModelCard(name="m", classes=("covid", "pneumonia", "normal"), ood=guard, verifier=verifier)


def test_the_feature_guards_count_is_stated_without_a_whole_guard_measurement():
    notice = _guard_notice(_card(None))
    assert notice.params["refused"] == 1 and notice.params["test_images"] == 752
    assert "refused 1 of 752 real test X-rays" in str(notice)


def test_the_whole_served_guards_count_is_stated_when_measured():
    whole = {"value": 8 / 752, "ci95": [0.005, 0.021], "n": 752}
    card = _card(VerifierCheck(threshold=0.8, served_guard_patient_split_test=whole))
    notice = _guard_notice(card)
    assert notice.params["refused"] == 8 and notice.params["test_images"] == 752
    written = with_limitations(card)
    assert any("refused 8 of 752 real test X-rays" in text for text in written.limitations)


def test_the_non_xray_share_is_the_one_measured_with_those_pictures_left_out_of_the_fit():
    """The verifier is fitted on the card's non-X-ray pictures; the share the limitation quoted
    was measured on those same pictures (the statistics audit). With the pictures' family left
    out of the fit, the whole served guard's share is a measurement; it is quoted when the card
    has it."""
    left_out = {"pictures": {"whole_guard": {"value": 0.9, "ci95": [0.86, 0.93], "n": 245}}}
    card = _card(VerifierCheck(threshold=0.8, families_left_out=left_out))
    notice = _guard_notice(card)
    assert notice.params["negative_refusal_percent"] == 90.0
    assert "and 90.0% of a small set of non-X-ray pictures" in str(notice)


def test_the_bundled_card_states_its_whole_guards_refusals():
    card = ModelCard.load(BUNDLED_MODEL_DIR)
    whole = card.verifier.served_guard_patient_split_test
    assert whole["n"] == 752
    assert _guard_notice(card).params["refused"] == round(whole["value"] * 752)
    assert str(_guard_notice(card)) in card.limitations  # the written card is up to date


def test_a_seen_source_card_states_the_unseen_collections_accuracy_with_its_interval():
    metrics = {"source": {"accuracy": {"value": 0.375, "ci95": [0.356, 0.394]}},
               "patient": {"accuracy": {"value": 0.949, "ci95": [0.934, 0.964]}}}
    card = _card(None).replace(metrics=metrics)
    notice = unseen_source_caveat(card)
    assert notice.code == "label_unverified_unseen_sources"
    assert "right 38% of the time (95% CI 36-39%), compared with 95% on new patients" in notice
    assert unseen_source_caveat(card.replace(metrics={"patient": metrics["patient"]})) is None
    fitted = card.replace(trust=Trust(rule="max_probability", threshold=0.9))
    assert unseen_source_caveat(fitted) is None  # labels by the out-of-source rule instead


def test_a_label_quotes_its_own_precision_on_unseen_collections_with_its_counts():
    per_class = {"covid": {"ppv": {"value": 47 / 70, "ci95": [0.577, 0.775]}},
                 "pneumonia": {"ppv": {"value": 0.4, "ci95": [0.0, 1.0]}},
                 "normal": {"ppv": {"value": 130 / 402, "ci95": [0.313, 0.335]}}}
    metrics = {"source": {"accuracy": {"value": 0.375, "ci95": [0.356, 0.394]}, "per_class": per_class,
                          "classes": ["covid", "pneumonia", "normal"],
                          "confusion_matrix": [[47, 3, 27], [21, 2, 245], [2, 0, 130]]},
               "patient": {"accuracy": {"value": 0.949, "ci95": [0.934, 0.964]},
                           "per_class": {c: {"ppv": {"value": v, "ci95": [v - 0.05, v + 0.03]}}
                                         for c, v in (("covid", 0.918), ("pneumonia", 0.867), ("normal", 0.967))}}}
    card = _card(None).replace(metrics=metrics)
    normal = unseen_source_caveat(card, "normal")
    assert normal.code == "label_unverified_unseen_class"
    # The Wilson interval of the counts quoted, not the card's class-stratified bootstrap (31-34%,
    # 0-100%), which holds each true class's count fixed.
    assert ("said “normal” on X-rays from hospitals it did not learn from, it was right 130 of 402 "
            "times (32%; 95% CI 28-37%), compared with 97% on new patients") in normal
    assert "right 2 of 5 times (40%; 95% CI 12-77%)" in unseen_source_caveat(card, "pneumonia")
    assert "right 47 of 70 times (67%; 95% CI 56-77%)" in unseen_source_caveat(card, "covid")
    # Without the label's own figures: the overall accuracy, named as such by its own sentence.
    del metrics["source"]["confusion_matrix"]
    assert unseen_source_caveat(card.replace(metrics=metrics), "normal").code == "label_unverified_unseen_sources"


def _calibration_notice(card: ModelCard):
    [notice] = [n for n in limitation_notices(card) if n.code.startswith("card_calibration")]
    return notice


def test_a_seen_source_card_states_the_calibration_error_measured_on_unseen_collections():
    """Not "may be over-confident" when the card holds the measurement: how far off the stated
    confidence was on collections the model never saw, after temperature scaling as served."""
    source = {"n": 477, "ece": {"value": 0.55, "ci95": [0.53, 0.57]}, "ece_after_temperature": 0.564}
    notice = _calibration_notice(_card(None).replace(metrics={"source": source}))
    assert notice.code == "card_calibration_unseen_sources"
    assert notice.params["images"] == 477 and notice.params["ece"] == 0.564
    assert round(notice.params["ece_points"], 6) == 56.4
    assert "On 477 X-rays from collections it never saw" in notice
    assert "off by 56 percentage points on average (calibration error 0.56)" in notice
    assert "over-confident" not in notice
    del source["ece_after_temperature"]  # an older card: the error before scaling
    notice = _calibration_notice(_card(None).replace(metrics={"source": source}))
    assert "off by 55 percentage points on average (calibration error 0.55)" in notice
    # Nothing measured on unseen collections: the card can only say where it was calibrated.
    assert _calibration_notice(_card(None)).code == "card_calibration"


def test_the_bundled_card_states_its_measured_unseen_source_calibration_error():
    card = ModelCard.load(BUNDLED_MODEL_DIR)
    source = card.metrics["source"]
    notice = _calibration_notice(card)
    assert notice.code == "card_calibration_unseen_sources"
    assert notice.params["ece"] == source["ece_after_temperature"] and notice.params["images"] == source["n"]
    assert f"off by {100 * source['ece_after_temperature']:.0f} percentage points" in notice
    assert notice.as_dict() in card.limitation_notices  # the written card is up to date
    assert str(notice) in card.limitations
