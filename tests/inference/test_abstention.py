"""Serving the out-of-source fit (card.trust): prediction sets, abstention, familiarity warnings."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cxr.inference import Predictor
from cxr.inference.abstention import RULES, labelled, prediction_sets, rule_scores
from cxr.inference.card import Trust


@pytest.fixture(scope="module")
def predictor(served_model_dir) -> Predictor:
    return Predictor.load(served_model_dir)


@pytest.fixture(scope="module")
def xrays(xray_paths):
    return [p for label in sorted(xray_paths) for p in xray_paths[label][:3]]


def _with_trust(predictor: Predictor, **changes) -> Predictor:
    n = len(predictor.classes)
    trust = Trust(temperature=1.0, rule="max_probability", target_accuracy=0.9, threshold=0.5,
                  set_confidence=0.9, set_thresholds=(0.5,) * n, familiarity_threshold=1e9,
                  familiarity_k=10).replace(**changes)
    return Predictor(predictor.model_dir, predictor.session, predictor.card.replace(trust=trust),
                     predictor.detector)


def _read(predictor: Predictor, paths):
    readings = [predictor.predict(p) for p in paths]
    accepted = [r for r in readings if not r.rejected]
    assert len(accepted) >= 3, "too few test X-rays accepted by the guard to test anything"
    return accepted


def test_rule_scores_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    sets = prediction_sets(probs, [0.5, 0.7, None])
    assert sets.tolist() == [[True, False, True], [False, True, True]]
    unfamiliar = np.array([False, True])
    assert rule_scores("max_probability", probs, sets, unfamiliar).tolist() == [0.7, 0.4]
    assert np.allclose(rule_scores("margin", probs, sets, unfamiliar), [0.5, 0.05])
    assert rule_scores("max_probability_if_familiar", probs, sets, unfamiliar).tolist() == [0.7, 0.0]
    singles = prediction_sets(probs, [0.5, 0.0, 0.0])  # first image: {0}; second: {}
    assert rule_scores("max_probability_if_single_class_set", probs, singles, unfamiliar).tolist() == [0.7, 0.0]
    assert labelled(np.array([0.7, 0.4]), 0.5).tolist() == [True, False]
    assert labelled(np.array([0.7, 0.4]), None).tolist() == [False, False]
    assert set(RULES) >= {"max_probability", "margin"}
    with pytest.raises(ValueError, match="unknown abstention rule"):
        rule_scores("coin_flip", probs, sets, unfamiliar)


def test_sets_hold_the_classes_the_card_cannot_rule_out(predictor, xrays):
    wide = _with_trust(predictor, set_thresholds=(None,) * len(predictor.classes))
    for reading in _read(wide, xrays):
        assert reading.prediction_set == list(predictor.classes)
    fitted = _with_trust(predictor, set_thresholds=(0.5,) * len(predictor.classes))
    for reading in _read(fitted, xrays):
        expected = [c for c, p in reading.probabilities.items() if 1 - p <= 0.5]
        assert reading.prediction_set == expected


def test_below_the_fitted_threshold_there_is_no_label_and_a_plain_reason(predictor, xrays):
    never = _with_trust(predictor, threshold=1.01, target_accuracy=0.9)
    for reading in _read(never, xrays):
        assert reading.label is None and reading.uncertain and not reading.rejected
        assert reading.reason.code == "uncertain_measured"
        assert "radiologist" in reading.reason and "90%" in reading.reason
    nothing = _with_trust(predictor, threshold=None)
    for reading in _read(nothing, xrays):
        assert reading.label is None and reading.reason.code == "refused_all_labels"
    always = _with_trust(predictor, threshold=0.0)
    for reading in _read(always, xrays):
        assert reading.label == max(reading.probabilities, key=reading.probabilities.get)
        assert not reading.uncertain and reading.reason is None


def test_the_out_of_source_temperature_replaces_the_seen_source_one(predictor, xrays):
    flat = _with_trust(predictor, temperature=1e6)
    reading = flat.predict(xrays[0])
    assert all(p == pytest.approx(1 / len(predictor.classes), abs=1e-4)
               for p in reading.probabilities.values())


def test_unfamiliar_images_carry_a_warning_with_its_code(predictor, xrays):
    strict = _with_trust(predictor, familiarity_threshold=0.0)
    for reading in _read(strict, xrays):
        codes = [getattr(w, "code", None) for w in reading.warnings]
        assert "unfamiliar_image" in codes
        assert reading.familiarity is not None and reading.familiarity > 0
    lenient = _with_trust(predictor, familiarity_threshold=1e9)
    for reading in _read(lenient, xrays):
        assert "unfamiliar_image" not in [getattr(w, "code", None) for w in reading.warnings]
    # The familiarity rule can withhold the label of an unfamiliar image on its own.
    gated = _with_trust(predictor, familiarity_threshold=0.0, rule="max_probability_if_familiar",
                        threshold=0.01)
    for reading in _read(gated, xrays):
        assert reading.label is None and reading.uncertain


def test_a_site_calibration_keeps_the_cards_familiarity_warning(predictor, xrays):
    """The site fit recalibrates probabilities; how unlike the training X-rays an image is stays
    the card's measurement, so its warning must not vanish when a site calibration is served."""
    from cxr.inference.site_calibration import SiteCalibration

    n = len(predictor.classes)
    site = SiteCalibration(classes=list(predictor.classes), model_version=predictor.version,
                           scale=[1.0] * n, bias=[0.0] * n, set_confidence=0.9,
                           set_thresholds=[None] * n, label_threshold=0.0, target_accuracy=0.9,
                           cases=80, cases_by_class={c: 80 // n for c in predictor.classes},
                           fitted_at="2026-12-05", site="Ward 3", measured={})
    for limit, expected in ((0.0, True), (1e9, False)):
        strict = _with_trust(predictor, familiarity_threshold=limit)
        both = Predictor(strict.model_dir, strict.session, strict.card, strict.detector,
                         site_calibration=site)
        for reading in _read(both, xrays):
            codes = [getattr(w, "code", None) for w in reading.warnings]
            assert ("unfamiliar_image" in codes) is expected
            assert "site_calibrated_unmeasured" in codes or "site_calibrated" in codes
            assert reading.prediction_set == list(predictor.classes)


def test_a_refused_picture_gets_no_set_whatever_the_fit(predictor):
    """Sets were measured on chest X-rays; a blank page must not be told "could be COVID-19"."""
    from PIL import Image

    from cxr.inference.rendering import png_bytes

    blank = png_bytes(Image.new("L", (400, 400), 255))
    wide = _with_trust(predictor, set_thresholds=(None,) * len(predictor.classes))
    reading = wide.predict(blank)
    assert reading.rejected and reading.label is None
    assert reading.prediction_set is None and reading.set_confidence is None
    assert reading.to_json()["prediction_set"] is None and reading.to_json()["uncertain"] is False


def test_json_contract_carries_set_uncertainty_and_warnings(predictor, xrays):
    reading = _read(_with_trust(predictor, familiarity_threshold=0.0, threshold=1.01), xrays)[0]
    out = reading.to_json()
    assert list(out) == ["label", "probabilities", "rejected", "reason", "prediction_set",
                         "uncertain", "warnings"]
    assert out["label"] is None and out["uncertain"] is True
    assert {"code": "unfamiliar_image", "message": str(reading.warnings[-1])} in out["warnings"]
    json.dumps(out)  # plain JSON values only


def test_cli_json_lines_keep_their_fields_and_add_the_new_ones(served_model_dir, xrays, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = subprocess.run([sys.executable, "-m", "cxr", "predict", "--model", str(served_model_dir),
                          str(xrays[0]), str(broken), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr  # one file unreadable
    good, bad = (json.loads(line) for line in out.stdout.splitlines())
    for row in (good, bad):
        assert {"file", "label", "probabilities", "rejected", "reason", "prediction_set",
                "uncertain", "warnings"} <= set(row)
        assert isinstance(row["warnings"], list) and isinstance(row["uncertain"], bool)
    assert bad["error"] and bad["label"] is None and bad["prediction_set"] is None


def test_without_an_out_of_source_fit_each_label_says_how_often_that_label_was_right_unseen(predictor, xrays):
    """Each label quotes its own precision on collections the model never saw, not the overall
    accuracy: on the bundled card "normal" was right 32% of the times it was given, COVID-19
    67%, where overall accuracy was 38%."""
    if predictor.unseen_source_caveats is None:
        pytest.skip("the served card has no source-split measurement to state")
    source = predictor.card.metrics["source"]
    readings = _read(predictor, xrays)
    labels = set()
    for reading in readings:
        caveats = [w for w in reading.warnings if getattr(w, "code", "").startswith("label_unverified")]
        assert bool(caveats) == (reading.label is not None)
        if reading.label is None:
            continue
        labels.add(reading.label)
        [caveat] = caveats
        ppv = source["per_class"][reading.label]["ppv"]
        column = source["classes"].index(reading.label)
        said = sum(row[column] for row in source["confusion_matrix"])
        assert caveat.code == "label_unverified_unseen_class" and caveat.params["label"] == reading.label
        assert f"said “{reading.label}”" in caveat
        assert (f"it was right {source['confusion_matrix'][column][column]} of {said} times "
                f"({100 * ppv['value']:.0f}%;") in caveat
    assert len(labels) >= 2  # the figures differ by label: more than one was checked
    # A card with an out-of-source fit labels by it and says nothing of the kind.
    fitted = _with_trust(predictor)
    assert fitted.unseen_source_caveats is None
    for reading in _read(fitted, xrays):
        assert not [w for w in reading.warnings if getattr(w, "code", "").startswith("label_unverified")]
