"""A site calibration: served probabilities rescaled, sets and labels by the site's own fit."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cxr.inference.site_calibration import SiteCalibration, SiteCalibrationError

CLASSES = ["covid", "pneumonia", "normal"]


def _calibration(**changes) -> SiteCalibration:
    fields = dict(classes=CLASSES, model_version="v4", scale=[1.0, 1.0, 1.0], bias=[0.0, 0.0, 0.0],
                  set_confidence=0.9, set_thresholds=[0.8, 0.6, None], label_threshold=0.7,
                  target_accuracy=0.9, cases=80, cases_by_class={"covid": 30, "pneumonia": 20, "normal": 30},
                  fitted_at="2026-12-04", site="Ward 3", measured={"labelled_accuracy": {"mean": 0.91}})
    return SiteCalibration(**{**fields, **changes})


def test_identity_scaling_keeps_the_probabilities_and_sets_follow_the_thresholds():
    probs = np.array([[0.75, 0.15, 0.10], [0.30, 0.45, 0.25]])
    calibration = _calibration()
    assert np.allclose(calibration.probabilities(probs), probs)
    # covid in when 1 - p <= 0.8, pneumonia when 1 - p <= 0.6, normal (None) always.
    assert calibration.in_set(probs).tolist() == [[True, False, True], [True, True, True]]
    assert calibration.labels(probs).tolist() == [True, False]
    assert not _calibration(label_threshold=None).labels(probs).any()
    assert calibration.labelled_accuracy == pytest.approx(0.91)


def test_a_bias_moves_probability_towards_the_class_the_site_sees_more_of():
    probs = np.array([[0.5, 0.2, 0.3]])
    shifted = _calibration(bias=[0.0, 0.0, 1.0]).probabilities(probs)
    assert shifted[0, 2] > 0.3 and shifted.sum() == pytest.approx(1.0)
    assert shifted[0, 2] / shifted[0, 0] == pytest.approx(np.e * 0.3 / 0.5)


def test_round_trip_and_refusals(tmp_path):
    calibration = _calibration()
    path = calibration.save(tmp_path / "site.json")
    assert SiteCalibration.load(path) == calibration
    calibration.check_model(CLASSES, "v4")
    with pytest.raises(SiteCalibrationError, match="model v4's readings"):
        calibration.check_model(CLASSES, "v5")
    with pytest.raises(SiteCalibrationError, match="classes"):
        calibration.check_model(["covid", "normal"], "v4")
    (tmp_path / "bad.json").write_text('{"classes": ["covid"]}')
    with pytest.raises(SiteCalibrationError, match="not a site calibration"):
        SiteCalibration.load(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SiteCalibrationError, match="cannot read"):
        SiteCalibration.load(tmp_path / "broken.json")
    with pytest.raises(SiteCalibrationError, match="one scale"):
        _calibration(scale=[1.0])
    with pytest.raises(SiteCalibrationError, match="finite"):
        _calibration(bias=[0.0, float("nan"), 0.0])


@pytest.mark.parametrize(("field", "value", "named"), [
    ("label_threshold", "x", "label_threshold"),
    ("label_threshold", 1.5, "label_threshold"),
    ("set_thresholds", [0.8, "0.6", None], "set_thresholds"),
    ("set_confidence", 0, "set_confidence"),
    ("set_confidence", True, "set_confidence"),
    ("target_accuracy", "0.9", "target_accuracy"),
    ("scale", ["1", 1.0, 1.0], "finite"),
    ("classes", ["covid", "covid", "normal"], "different names"),
    ("classes", "covid,normal", "different names"),
    ("cases", -1, "counts"),
    ("cases_by_class", {"covid": "30"}, "counts"),
    ("model_version", 4, "text"),
    ("measured", {"labelled_accuracy": {"mean": "high"}}, "measured"),
])
def test_a_hand_edited_file_is_refused_when_loaded_naming_the_field(tmp_path, field, value, named):
    """A file that loads must serve: a bad field is refused on load, not in the first reading."""
    data = _calibration().to_dict()
    data[field] = value
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SiteCalibrationError, match=named):
        SiteCalibration.load(path)


def test_a_label_never_contradicts_its_prediction_set():
    # Top class normal at 0.75 (above the label threshold), but normal's own threshold rules it
    # out: no label. Pneumonia at 0.90, kept by its set: a label.
    calibration = _calibration(set_thresholds=[0.9, 0.9, 0.2])
    probs = np.array([[0.15, 0.10, 0.75], [0.05, 0.90, 0.05]])
    assert calibration.in_set(probs).tolist() == [[True, True, False], [False, True, False]]
    assert calibration.labels(probs).tolist() == [False, True]
