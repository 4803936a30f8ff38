"""`python -m cxr trust`: the out-of-source fit lands in trust.json, the card and a results page."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from cxr.cli import main  # noqa: E402
from cxr.inference import Predictor  # noqa: E402
from cxr.inference.card import BUNDLED_MODEL_DIR, ModelCard  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]


def test_a_fit_that_labels_nothing_is_recorded_not_installed(oos_dir, bundled_model_copy, tmp_path,
                                                              capsys):
    """Tiny folds (32 px, from scratch) reach no target: installed, their fit would make every
    reading uncertain, which `trust --model-dir` did without a word. It is refused, and
    --record-only records it, with a page whose command says --record-only too."""
    model_dir = bundled_model_copy
    card_before = (model_dir / "model_card.json").read_text()
    fit_before = (oos_dir / "trust.json").read_text() if (oos_dir / "trust.json").exists() else None
    page = tmp_path / "docs" / "trust.md"
    argv = ["trust", str(oos_dir), "--model-dir", str(model_dir), "--report", str(page), "--n-boot", "20"]
    assert main(argv) == 2
    assert "this fit labels no reading" in capsys.readouterr().err
    assert (model_dir / "model_card.json").read_text() == card_before and not page.exists()
    assert ((oos_dir / "trust.json").read_text() if (oos_dir / "trust.json").exists() else None) == fit_before

    assert main([*argv, "--record-only"]) == 0
    out = capsys.readouterr().out
    assert "note: this rule labels no reading" in out
    assert "recorded in" in out and "trust_not_installed: readings do not change" in out
    fitted = json.loads((oos_dir / "trust.json").read_text())
    assert set(fitted["measured"]["by_group"]) == {"a", "b", "c"}
    assert fitted["protocol"]["groups"]["a"] and "measured_by" in fitted["protocol"]
    # The tiny folds differ from the bundled model's recipe, and say so.
    differences = fitted["protocol"]["recipe_differs_from_served_model"]
    assert differences["img_size"] == [32, 224] and differences["pretrained"] == ["none", "imagenet"]
    assert ModelCard.load(model_dir).trust_not_installed.to_dict() == fitted
    # The page names the command as run (copied, it records again), one row per held-out group.
    text = page.read_text()
    assert f"--model-dir {model_dir} --record-only --n-boot 20 --report {page}" in text
    assert "| pooled |" in text and "differ from the served model" in text
    assert all(f"| {g} |" in text for g in "abc")
    # The curves sit beside the page, named after the folds, so two folders' blocks keep their own.
    plot = page.with_name(f"trust-{oos_dir.name}.png")
    assert plot.stat().st_size > 1000 and f"]({plot.name})" in text


def test_record_only_measures_the_fit_without_serving_it(oos_dir, cxr_dir, xray_paths,
                                                         bundled_model_copy, capsys):
    """A fit that fails (here: tiny folds) is recorded for How it works; readings do not change."""
    model_dir = bundled_model_copy
    assert main(["trust", str(oos_dir), "--model-dir", str(model_dir), "--record-only",
                 "--shared", str(cxr_dir), "--n-boot", "20"]) == 0
    # The two checks are told apart: the fit's numbers were labelled "the served model".
    out = capsys.readouterr().out
    assert "with this fit installed (on a temporary copy; not served): 752 test images" in out
    assert "the served model as it is (without this fit): 752 test images" in out
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
    # Set coverage is of the readings that have a set: a refused picture is no miss of its promise.
    assert check["set_coverage"]["n"] == 752 - check["refused"]
    # ... and, for comparison, the served model as it is: no sets (so no set coverage at all,
    # not 0%), and (the bundled model) most of the X-rays labelled.
    served_check = fitted["measured"]["served_patient_split_test"]
    assert served_check["images"] == 752
    assert served_check["set_coverage"]["value"] is None and served_check["set_coverage"]["n"] == 0
    assert served_check["coverage"]["value"] > 0.9
    # The served model reads exactly as before: no sets, the same probabilities and labels.
    served, recorded = Predictor.load(BUNDLED_MODEL_DIR), Predictor.load(model_dir)
    assert recorded.trust is None
    for path in xray_paths["covid"][:2] + xray_paths["normal"][:2]:
        a, b = served.predict(path), recorded.predict(path)
        assert (a.label, a.probabilities, b.prediction_set) == (b.label, b.probabilities, None)
