"""Rotated and inverted X-rays: detected, then turned back with a note or refused, never read as is.

On real X-rays of every source (../shared) and the bundled model with its orientation.npz
(fitted by studies/orientation/study.py). A model folder without orientation.npz (an older model,
whose card describes no verifier) serves as before.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cxr.inference import Predictor
from cxr.inference.card import BUNDLED_MODEL_DIR, ModelCard
from cxr.inference.guard.orientation import (
    ORIENTATION_FILE,
    TRANSFORMS,
    OrientationClassifier,
    apply_orientation,
    correct_orientation,
    load_orientation,
)

REPO_DIR = Path(__file__).resolve().parents[2]
CORRECTED = {"corrected_rotation", "corrected_inversion"}
TURNED = [name for name in TRANSFORMS if name != "upright"]


@pytest.fixture(scope="module")
def bundled() -> Predictor:
    if not (BUNDLED_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"the bundled model is not installed ({BUNDLED_MODEL_DIR / 'model.onnx'} is missing)")
    predictor = Predictor.load(BUNDLED_MODEL_DIR)
    assert predictor.orientation is not None, f"{BUNDLED_MODEL_DIR / ORIENTATION_FILE} is missing"
    return predictor


@pytest.fixture(scope="module")
def without_orientation(bundled, tmp_path_factory) -> Predictor:
    folder = tmp_path_factory.mktemp("no_orientation")
    for name in ("model.onnx", "ood.npz"):
        shutil.copy(BUNDLED_MODEL_DIR / name, folder / name)
    # An older model: its card describes no lung field or verifier (a card that does would need
    # their files, and the verifier's measurement includes the orientation check).
    ModelCard.load(BUNDLED_MODEL_DIR).replace(lung_field=None, verifier=None).write(folder)
    return Predictor.load(folder)


@pytest.fixture(scope="module")
def upright(bundled, xray_paths) -> list:
    """Two real X-rays per class, from different sources."""
    return [bundled.decode(p) for label in sorted(xray_paths) for p in xray_paths[label][:2]]


def turned(decoded, name):
    return dataclasses.replace(decoded, gray=apply_orientation(decoded.gray, name))


def codes(prediction) -> set[str]:
    return {w.code for w in prediction.warnings}


def test_correct_undoes_every_transform():
    gray = np.arange(6 * 10, dtype=np.uint8).reshape(6, 10)
    for name in TRANSFORMS:
        assert np.array_equal(correct_orientation(apply_orientation(gray, name), name), gray), name
    assert apply_orientation(gray, "rot90").shape == (10, 6)
    # Clockwise: the top-left corner of an upright picture ends up top-right.
    assert apply_orientation(gray, "rot90")[0, -1] == gray[0, 0]
    assert np.array_equal(apply_orientation(gray, "inverted"), 255 - gray)


def test_bundled_classifier_is_small_and_loads():
    path = BUNDLED_MODEL_DIR / ORIENTATION_FILE
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    assert path.stat().st_size < 200_000
    classifier = load_orientation(path)
    assert set(classifier.classes) == set(TRANSFORMS)
    assert 0 < classifier.threshold < 1
    assert load_orientation(path.parent / "nothing_here.npz") is None


def test_upright_xrays_are_left_alone(bundled, without_orientation, upright):
    with_check = bundled.predict_decoded(upright)
    before = without_orientation.predict_decoded(upright)
    for after, plain in zip(with_check, before, strict=True):
        assert not codes(after) & CORRECTED
        assert after.reason is None or after.reason.code != "not_cxr_orientation"
        assert after.label == plain.label
        assert after.probabilities == pytest.approx(plain.probabilities)


def test_turned_xrays_are_corrected_or_refused_never_read_as_is(bundled, upright):
    reference = bundled.predict_decoded(upright)
    handled = 0
    total = 0
    for name in TURNED:
        predictions = bundled.predict_decoded([turned(d, name) for d in upright])
        for prediction, plain in zip(predictions, reference, strict=True):
            total += 1
            corrected = bool(codes(prediction) & CORRECTED)
            refused = prediction.reason is not None and prediction.reason.code == "not_cxr_orientation"
            handled += corrected or refused
            if prediction.label is not None:
                # A label only after turning the picture back, and then the upright reading's.
                assert corrected, f"{name}: labelled {prediction.label} as is"
                assert prediction.label == plain.label
                assert prediction.probabilities == pytest.approx(plain.probabilities)
            if corrected:
                angle, inverted = TRANSFORMS[name]
                notes = {w.code: w.params for w in prediction.warnings}
                assert ("corrected_inversion" in notes) == inverted, name
                assert notes.get("corrected_rotation", {}).get("angle", 0) == angle, name
                # What is shown is the corrected picture, the way up the model read it.
                assert prediction.image.shape == plain.image.shape
    assert handled >= 0.95 * total, f"only {handled} of {total} turned X-rays corrected or refused"


def test_without_orientation_file_serves_as_before(without_orientation, upright):
    assert without_orientation.orientation is None
    predictions = without_orientation.predict_decoded([turned(d, "rot90") for d in upright])
    for prediction in predictions:
        assert not codes(prediction) & CORRECTED
        assert prediction.reason is None or prediction.reason.code != "not_cxr_orientation"


@pytest.mark.parametrize("correct_above", [-1.0, 1.1], ids=["turned_back_still_flagged", "not_sure_enough"])
def test_refused_when_flagged_and_not_safely_corrected(bundled, upright, correct_above):
    """A classifier that flags everything: either it is too unsure to turn the picture back, or
    the turned-back picture is flagged again; both times the image is refused, not read."""
    real = bundled.orientation
    always = OrientationClassifier(classes=real.classes, mean=real.mean, scale=real.scale,
                                   coef=real.coef, intercept=real.intercept, threshold=-1.0,
                                   thumb=real.thumb, correct_above=correct_above)
    suspicious = Predictor(bundled.model_dir, bundled.session, bundled.card, bundled.detector,
                           orientation=always)
    for prediction in suspicious.predict_decoded(upright[:2]):
        assert prediction.rejected and prediction.label is None
        assert prediction.reason.code == "not_cxr_orientation"


def test_orientation_serving_imports_no_torch_or_sklearn():
    code = ("import sys, cxr.inference.guard.orientation, cxr.inference.predictor; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'sklearn', 'timm'}); "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
