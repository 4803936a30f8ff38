"""`python -m cxr trust`: the out-of-source fit lands in trust.json, the card and a results page."""
from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch")

from cxr.cli import main  # noqa: E402
from cxr.inference import Predictor  # noqa: E402
from cxr.inference.card import BUNDLED_MODEL_DIR, ModelCard  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]


def test_fit_goes_to_trust_json_the_card_and_the_page(oos_dir, tmp_path, capsys):
    if not (BUNDLED_MODEL_DIR / "model.onnx").exists():
        pytest.skip("models/bundled is not installed")
    model_dir = tmp_path / "model"
    shutil.copytree(BUNDLED_MODEL_DIR, model_dir)
    page = tmp_path / "docs" / "trust.md"
    assert main(["trust", str(oos_dir), "--model-dir", str(model_dir), "--report", str(page),
                 "--n-boot", "20"]) == 0
    fitted = json.loads((oos_dir / "trust.json").read_text())
    assert fitted["rule"] and fitted["temperature"] > 0 and len(fitted["set_thresholds"]) == 3
    assert set(fitted["measured"]["by_group"]) == {"a", "b", "c"}
    assert fitted["protocol"]["groups"]["a"] and "measured_by" in fitted["protocol"]
    # The tiny folds (32 px, from scratch) differ from the bundled model's recipe, and say so.
    differences = fitted["protocol"]["recipe_differs_from_served_model"]
    assert differences["img_size"] == [32, 224] and differences["pretrained"] == ["none", "imagenet"]
    # The card carries the same fit; the served predictor now decides by it.
    card = ModelCard.load(model_dir)
    assert card.trust.to_dict() == fitted and card.plots["risk_coverage"] == "risk_coverage.png"
    assert (model_dir / "risk_coverage.png").stat().st_size > 1000
    # The calibration limitation now states where the probabilities were calibrated.
    codes = [n["code"] for n in card.limitation_notices]
    assert "card_calibration_out_of_source" in codes and "card_calibration" not in codes
    before = ModelCard.load(BUNDLED_MODEL_DIR)
    assert len(card.limitations) == len(before.limitations)
    predictor = Predictor.load(model_dir)
    assert predictor.trust is not None and predictor.temperature == pytest.approx(fitted["temperature"])
    # The page names the command and shows one row per held-out group plus the pooled one.
    text = page.read_text()
    assert "python -m cxr trust" in text and "| pooled |" in text
    assert "differ from the served model" in text
    assert all(f"| {g} |" in text for g in "abc")
    # The curves sit beside the page, named after the folds, so two folders' blocks keep their own.
    plot = page.with_name(f"trust-{oos_dir.name}.png")
    assert plot.stat().st_size > 1000 and f"]({plot.name})" in text
    assert "coverage" in capsys.readouterr().out


def test_record_only_measures_the_fit_without_serving_it(oos_dir, cxr_dir, xray_paths, tmp_path):
    """A fit that fails (here: tiny folds) is recorded for How it works; readings do not change."""
    if not (BUNDLED_MODEL_DIR / "model.onnx").exists():
        pytest.skip("models/bundled is not installed")
    model_dir = tmp_path / "model"
    shutil.copytree(BUNDLED_MODEL_DIR, model_dir)
    assert main(["trust", str(oos_dir), "--model-dir", str(model_dir), "--record-only",
                 "--shared", str(cxr_dir), "--n-boot", "20"]) == 0
    fitted = json.loads((oos_dir / "trust.json").read_text())
    card = ModelCard.load(model_dir)
    before = ModelCard.load(BUNDLED_MODEL_DIR)
    assert card.trust is None and card.trust_not_installed.to_dict() == fitted
    assert card.plots["risk_coverage"] == "risk_coverage.png"
    assert card.limitations == before.limitations
    # The no-regression check ran with the fit installed, on a copy of the model folder.
    check = fitted["measured"]["patient_split_test"]
    assert check["images"] == 752 and check["coverage"]["n"] == 752
    assert sum(check["set_sizes"].values()) == 752 - check["refused"]  # every reading not refused has a set
    # ... and, for comparison, the served model as it is: no sets, and (the bundled model) most
    # of the X-rays labelled.
    served_check = fitted["measured"]["served_patient_split_test"]
    assert served_check["images"] == 752 and served_check["set_coverage"]["value"] == 0
    assert served_check["coverage"]["value"] > 0.9
    # The served model reads exactly as before: no sets, the same probabilities and labels.
    served, recorded = Predictor.load(BUNDLED_MODEL_DIR), Predictor.load(model_dir)
    assert recorded.trust is None
    for path in xray_paths["covid"][:2] + xray_paths["normal"][:2]:
        a, b = served.predict(path), recorded.predict(path)
        assert (a.label, a.probabilities, b.prediction_set) == (b.label, b.probabilities, None)
