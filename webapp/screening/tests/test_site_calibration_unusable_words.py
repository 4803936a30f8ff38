"""While the site calibration cannot be used, the engine says so, not "no model is installed"
(operator audit, finding C): with CXR_SITE_CALIBRATION fitted for another model version the
upload page and the API told users and administrators that no model was installed and to export
one. The engine now names the kind of failure and words it, in English and Indonesian, as
`manage.py model_status` gives the reason. Real parts: the bundled model and a calibration file."""
from __future__ import annotations

import json

import pytest
from django.utils import translation

from cxr.inference.site_calibration import SiteCalibration, SiteCalibrationError
from webapp.screening import engine, engine_text
from webapp.tests.support.screening_helpers import write_site_calibration


@pytest.fixture
def unusable(model_dir, settings, tmp_path):
    """The ModelUnavailable screening meets with a calibration fitted on model 2027-02-01+abc1234."""
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(
        model_dir, tmp_path / "site.json", 0.8, version="2027-02-01+abc1234", cases=60, set_threshold=0.9))
    with pytest.raises(engine.ModelUnavailable) as raised:
        engine.get_predictor()
    return raised.value


def test_the_engine_names_the_site_calibration_as_the_reason(unusable, model_dir):
    assert unusable.reason == "site_calibration_unusable"
    assert unusable.site_calibration_error is not None
    assert unusable.site_calibration_error.code == "other_model"


def test_the_words_say_why_and_what_to_do_in_english_and_indonesian(unusable, model_dir):
    from cxr.inference import ModelCard

    installed = ModelCard.load(model_dir).served_version
    with translation.override("en"):
        words = engine_text.site_calibration_unusable(unusable.site_calibration_error)
    assert words["title"] == "The site calibration cannot be used"
    assert words["why"] == (f"It was fitted on the readings of model 2027-02-01+abc1234, and the "
                            f"installed model is {installed}.")
    assert "CXR_SITE_CALIBRATION" in words["fix"] and "validate-site" in words["fix"]
    assert "No model" not in " ".join(words.values())
    with translation.override("id"):
        kata = engine_text.site_calibration_unusable(unusable.site_calibration_error)
    assert kata["title"] == "Kalibrasi fasilitas ini tidak dapat dipakai"
    assert kata["why"] == (f"Kalibrasi itu dipasang pada hasil baca model 2027-02-01+abc1234, sedangkan "
                           f"model yang terpasang adalah {installed}.")
    assert kata["message"].startswith("Server ini diatur") and "CXR_SITE_CALIBRATION" in kata["fix"]


def test_other_classes_and_an_unreadable_file_are_worded_too(model_dir, settings, tmp_path):
    path = write_site_calibration(model_dir, tmp_path / "site.json", 0.8, cases=60, set_threshold=0.9)
    data = json.loads(path.read_text())
    calibration = SiteCalibration.from_dict({**data, "classes": ["covid", "normal", "tuberculosis"]})
    with pytest.raises(SiteCalibrationError) as raised:
        calibration.check_model(["covid", "pneumonia", "normal"], data["model_version"])
    with translation.override("en"):
        why = engine_text.site_calibration_unusable(raised.value)["why"]
    assert why == ("It is for the classes covid, normal, tuberculosis, and the installed model has "
                   "the classes covid, pneumonia, normal.")
    settings.CXR_SITE_CALIBRATION = str(tmp_path / "never-written.json")
    with pytest.raises(engine.ModelUnavailable) as unreadable:
        engine.get_predictor()
    with translation.override("en"):
        assert engine_text.site_calibration_unusable(unreadable.value.site_calibration_error)["why"] == (
            "Its file cannot be read, or it is not a site calibration.")
