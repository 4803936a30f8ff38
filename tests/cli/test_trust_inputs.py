"""`python -m cxr trust`: options and inputs are checked before anything is fitted or written.

Uses the out-of-source readings committed under results/ (no training, no torch): a folder whose
CSV holds the familiarity ratios refits from the CSV alone; one whose CSV lacks them, without the
folds' features, is refused with the reason."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pandas")

from cxr.cli import main  # noqa: E402
from cxr.inference.card import BUNDLED_MODEL_DIR  # noqa: E402

RESULTS = Path(__file__).resolve().parents[2] / "results"
WITH_RATIOS = RESULTS / "oos-lite0-gpu224"  # oos_predictions.csv has knn_ratio
WITHOUT_RATIOS = RESULTS / "oos-224"  # written before the CSV carried knn_ratio; no fold features


@pytest.fixture
def csv_only_oos(tmp_path) -> Path:
    """The committed CSV and protocol of a fold set whose CSV has the familiarity ratios."""
    if not (WITH_RATIOS / "oos_predictions.csv").exists():
        pytest.skip(f"{WITH_RATIOS} is not in this checkout")
    folder = tmp_path / "oos"
    folder.mkdir()
    for name in ("protocol.json", "oos_predictions.csv"):
        shutil.copyfile(WITH_RATIOS / name, folder / name)
    return folder


@pytest.fixture
def committed_oos(csv_only_oos) -> Path:
    """The same with the committed fit and its plot, as results/ holds them."""
    for name in ("trust.json", "risk_coverage.png"):
        if (WITH_RATIOS / name).exists():
            shutil.copyfile(WITH_RATIOS / name, csv_only_oos / name)
    return csv_only_oos


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("option", [
    ["--target", "-1"], ["--target", "0"], ["--target", "1"], ["--target", "1.5"],
    ["--confidence", "0"], ["--confidence", "-1"], ["--confidence", "nan"], ["--confidence", "x"],
    ["--n-boot", "0"], ["--n-boot", "-1"], ["--n-boot", "1"],
])
def test_out_of_range_options_are_usage_errors(csv_only_oos, option, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["trust", str(csv_only_oos), *option])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option[0]}: " in err and "Traceback" not in err
    assert not (csv_only_oos / "trust.json").exists()


def test_record_only_and_shared_need_a_model_dir(csv_only_oos, capsys):
    assert main(["trust", str(csv_only_oos), "--record-only"]) == 2
    assert "error: --record-only needs --model-dir" in capsys.readouterr().err
    assert main(["trust", str(csv_only_oos), "--shared", str(csv_only_oos)]) == 2
    assert "error: --shared needs --model-dir" in capsys.readouterr().err


def test_a_wrong_shared_path_writes_nothing(csv_only_oos, bundled_model_copy, tmp_path, capsys):
    """All inputs are checked first: the card is not touched and no trust.json is written."""
    model_dir = bundled_model_copy
    before = {p.name: p.read_bytes() for p in model_dir.iterdir()}
    assert main(["trust", str(csv_only_oos), "--model-dir", str(model_dir),
                 "--shared", str(tmp_path / "no-such-set"), "--n-boot", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --shared") and "manifest.csv does not exist" in err
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == before
    assert not (csv_only_oos / "trust.json").exists()


def test_a_damaged_model_dir_writes_nothing(csv_only_oos, tmp_path, capsys):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    assert main(["trust", str(csv_only_oos), "--model-dir", str(model_dir), "--n-boot", "10"]) == 2
    assert "No model at" in capsys.readouterr().err
    assert not (csv_only_oos / "trust.json").exists() and list(model_dir.iterdir()) == []


def test_missing_or_incomplete_out_of_source_folders_are_errors(tmp_path, capsys):
    assert main(["trust", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["trust", str(tmp_path / "empty")]) == 2
    assert "protocol.json does not exist" in capsys.readouterr().err
    if not (WITHOUT_RATIOS / "oos_predictions.csv").exists():
        pytest.skip(f"{WITHOUT_RATIOS} is not in this checkout")
    # A committed folder without the ratios or the folds' features: the reason, not a traceback.
    folder = tmp_path / "old"
    shutil.copytree(WITHOUT_RATIOS, folder)
    assert main(["trust", str(folder), "--n-boot", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "knn_ratio" in err and "cohen/predictions.npz" in err
    assert json.loads((folder / "trust.json").read_text()) == json.loads((WITHOUT_RATIOS / "trust.json").read_text())


def test_a_csv_with_familiarity_ratios_refits_alone(csv_only_oos, tmp_path, capsys):
    """What docs/toolkit.md says: the committed CSV (with knn_ratio) is enough to refit."""
    pytest.importorskip("crepes")
    pytest.importorskip("matplotlib")
    out = tmp_path / "fit"
    assert main(["trust", str(csv_only_oos), "--n-boot", "10", "--out", str(out)]) == 0
    fitted = json.loads((out / "trust.json").read_text())
    assert set(fitted["measured"]["by_group"]) == {"cohen", "kermany", "nih", "raddb"}
    assert fitted["familiarity_threshold"] > 0
    assert (out / "risk_coverage.png").stat().st_size > 1000
    assert "| pooled |" in capsys.readouterr().out


def test_a_trial_fit_leaves_the_committed_results_as_they_are(committed_oos, tmp_path, monkeypatch,
                                                             capsys):
    """Without --model-dir the fit is a trial: it goes under var/trust/, not over the committed
    trust.json (whose keys it would drop: no patient-split check without a model) and plot."""
    pytest.importorskip("crepes")
    pytest.importorskip("matplotlib")
    before = _files(committed_oos)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["trust", str(committed_oos), "--n-boot", "10"]) == 0
    assert _files(committed_oos) == before
    trial = Path("var") / "trust" / committed_oos.name
    assert json.loads((trial / "trust.json").read_text())["familiarity_threshold"] > 0
    assert (trial / "risk_coverage.png").exists()
    out = capsys.readouterr().out
    assert f"fit written to {trial / 'trust.json'} (a trial: no model card was changed)" in out


def test_record_only_into_a_card_keeps_the_fit_beside_the_readings(committed_oos, bundled_model_copy):
    """The documented `--model-dir models/bundled --record-only` form (docs/toolkit.md): the card
    gets the fit as not installed, and trust.json in the out-of-source folder records it."""
    pytest.importorskip("crepes")
    pytest.importorskip("matplotlib")
    from cxr.inference.card import ModelCard

    model_dir = bundled_model_copy
    assert main(["trust", str(committed_oos), "--model-dir", str(model_dir), "--record-only",
                 "--n-boot", "10"]) == 0
    fitted = json.loads((committed_oos / "trust.json").read_text())
    card = ModelCard.load(model_dir)
    assert card.trust_not_installed.to_dict() == fitted
    assert card.trust == ModelCard.load(BUNDLED_MODEL_DIR).trust
    assert (model_dir / "risk_coverage.png").read_bytes() == (committed_oos / "risk_coverage.png").read_bytes()


def test_a_fit_that_labels_some_readings_goes_into_the_card_and_the_page(csv_only_oos,
                                                                         bundled_model_copy,
                                                                         tmp_path, capsys):
    """The installing form, on the committed readings at a target some rule reaches with its
    bound (30%: out of source the model is right a third of the time): the card's trust section
    holds the fit, the served predictor decides by it, the page names the command."""
    pytest.importorskip("crepes")
    pytest.importorskip("matplotlib")
    from cxr.inference import Predictor
    from cxr.inference.card import ModelCard

    model_dir = bundled_model_copy
    page = tmp_path / "docs" / "trust.md"
    assert main(["trust", str(csv_only_oos), "--target", "0.3", "--model-dir", str(model_dir),
                 "--report", str(page), "--n-boot", "10"]) == 0
    out = capsys.readouterr().out
    assert f"installed in {model_dir}'s model card (its trust section: readings change)" in out
    assert "note: the temperature is at the end of its search range" in out  # 20: confidence says little
    fitted = json.loads((csv_only_oos / "trust.json").read_text())
    assert 0 <= fitted["threshold"] < 1 and len(fitted["set_thresholds"]) == 3  # labels some
    card = ModelCard.load(model_dir)
    assert card.trust.to_dict() == fitted and card.plots["risk_coverage"] == "risk_coverage.png"
    codes = [n["code"] for n in card.limitation_notices]
    assert "card_calibration_out_of_source" in codes and "card_calibration" not in codes
    predictor = Predictor.load(model_dir)
    assert predictor.trust is not None and predictor.temperature == pytest.approx(fitted["temperature"])
    text = page.read_text()
    assert f"--target 0.3 --confidence 0.9 --model-dir {model_dir} --n-boot 10 --report {page}" in text
    assert "The fold models were trained with the served model's recipe." in text
