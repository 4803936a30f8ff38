"""The model contract: `resolve_model_dir` finds the model folder, `ModelCard` reads and writes
model_card.json without changing a byte."""
from __future__ import annotations

import json

import pytest

from cxr.inference.card import (
    BUNDLED_MODEL_DIR,
    CARD_FILE,
    Architecture,
    CardError,
    Guard,
    ModelCard,
    Trust,
    resolve_model_dir,
)


def _bundled_text() -> str:
    path = BUNDLED_MODEL_DIR / CARD_FILE
    if not path.is_file():
        pytest.skip(f"no bundled model card at {path}")
    return path.read_text(encoding="utf-8")


def test_the_bundled_card_round_trips_byte_for_byte():
    text = _bundled_text()
    card = ModelCard.from_dict(json.loads(text))
    assert card.to_json() == text
    assert ModelCard.load(BUNDLED_MODEL_DIR) == card


def test_the_bundled_card_is_typed():
    card = ModelCard.from_dict(json.loads(_bundled_text()))
    assert card.classes == ("covid", "pneumonia", "normal") and isinstance(card.input_size, int)
    assert isinstance(card.ood, Guard) and card.ood.threshold > 0 and card.ood.combine == "mean"
    assert isinstance(card.architecture, Architecture) and card.architecture.onnx_opset == 17
    assert len(card.normalisation.mean) == len(card.normalisation.std) == 3
    assert card.training.split["csv"].endswith(".csv")
    assert len(card.limitation_notices) == len(card.limitations) > 0
    assert set(card.plots) == {"roc", "reliability", "ood", "risk_coverage"}
    # Its out-of-source fit is recorded, not installed (docs/results/trustworthy_readings.md).
    assert card.trust is None and isinstance(card.trust_not_installed, Trust)
    assert card.trust_not_installed.measured["patient_split_test"]["images"] == 752


def test_the_exported_card_round_trips(tiny_model_dir):
    """What `cxr export` writes is what ModelCard writes back (it is written through the type)."""
    text = (tiny_model_dir / CARD_FILE).read_text(encoding="utf-8")
    assert ModelCard.load(tiny_model_dir).to_json() == text


def test_unknown_keys_survive_in_place_and_nulls_stay_null():
    data = {"name": "m", "from_a_newer_exporter": {"x": [1, 2]}, "version": None, "classes": ["a", "b"],
            "ood": {"threshold": 2.5, "new_score": 0.1, "method": "m"}, "input_size": 64}
    card = ModelCard.from_dict(data)
    assert card.extra == {"from_a_newer_exporter": {"x": [1, 2]}} and card.ood.extra == {"new_score": 0.1}
    assert card.to_dict() == data and list(card.to_dict()) == list(data)
    assert list(card.to_dict()["ood"]) == ["threshold", "new_score", "method"]


def test_fields_set_later_go_where_the_exporter_writes_them():
    card = ModelCard.from_dict({"name": "m", "classes": ["a"], "plots": {}})
    changed = card.replace(temperature=1.5, ood=Guard(threshold=3.0))
    assert list(changed.to_dict()) == ["name", "classes", "temperature", "ood", "plots"]
    assert ModelCard(name="m", classes=("a",)).to_dict() == {"name": "m", "classes": ["a"]}


def test_older_card_forms_are_normalised():
    card = ModelCard.from_dict({"architecture": "tiny net", "plots": ["roc_test.png", "sub/ood.png"]})
    assert card.architecture.name == "tiny net"
    assert card.plots == {"roc_test": "roc_test.png", "ood": "sub/ood.png"}


@pytest.mark.parametrize("data", [[1, 2], {"ood": [1]}, {"classes": "abc"}, {"metrics": [1]}])
def test_a_card_of_the_wrong_shape_is_refused(data):
    with pytest.raises(CardError):
        ModelCard.from_dict(data)


def test_an_unreadable_card_file_is_a_card_error(tmp_path):
    (tmp_path / CARD_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(CardError):
        ModelCard.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        ModelCard.load(tmp_path / "missing")


def test_the_model_folder_is_explicit_else_the_variable_else_the_bundled_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CXR_MODEL_DIR", str(tmp_path / "from-env"))
    assert resolve_model_dir(tmp_path / "given") == tmp_path / "given"
    assert resolve_model_dir(str(tmp_path / "given")) == tmp_path / "given"
    assert resolve_model_dir() == resolve_model_dir("") == tmp_path / "from-env"
    monkeypatch.delenv("CXR_MODEL_DIR")
    assert resolve_model_dir() == BUNDLED_MODEL_DIR


def test_the_bundled_model_is_committed_whole():
    """Every test that needs the bundled model skips without it (a checkout may serve another one
    through CXR_MODEL_DIR), so its loss would pass as a run of skips (the code audit): this one
    fails. The folder is part of the repository: the web app serves it by default."""
    from cxr.inference import Predictor
    from cxr.inference.predictor import parts_the_card_names

    card = ModelCard.load(BUNDLED_MODEL_DIR)
    names = {"model.onnx", "model_card.json", "ood.npz", *(name for name, _what in parts_the_card_names(card))}
    assert {name for name in names if (BUNDLED_MODEL_DIR / name).is_file()} == names
    Predictor.load(BUNDLED_MODEL_DIR, threads=1).self_check()
