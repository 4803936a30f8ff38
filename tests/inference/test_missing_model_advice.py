"""A missing model's error gave "... or set CXR_MODEL_DIR" even where CXR_MODEL_DIR (or the
caller's folder) named the empty folder: the advice now fits how the folder was chosen."""
from __future__ import annotations

import pytest

from cxr.inference import Predictor
from cxr.inference.errors import ModelNotInstalled


def test_a_named_empty_folder_is_not_told_to_set_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("CXR_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelNotInstalled) as error:
        Predictor.load()
    message = str(error.value)
    assert message.startswith(f"No model at {tmp_path} (missing model.onnx, model_card.json, ood.npz).")
    assert "set CXR_MODEL_DIR" not in message and "Name an exported model folder" in message
    monkeypatch.delenv("CXR_MODEL_DIR")
    with pytest.raises(ModelNotInstalled, match="Name an exported model folder"):
        Predictor.load(tmp_path)


def test_the_missing_bundled_model_is_told_how_to_get_one(tmp_path, monkeypatch):
    import cxr.inference.card as card

    monkeypatch.delenv("CXR_MODEL_DIR", raising=False)
    monkeypatch.setattr(card, "BUNDLED_MODEL_DIR", tmp_path / "bundled")
    with pytest.raises(ModelNotInstalled) as error:
        Predictor.load()
    assert "or set CXR_MODEL_DIR to an exported model folder" in str(error.value)
