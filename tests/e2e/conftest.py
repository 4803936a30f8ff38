"""Fixtures of the browser tests: the served model and a private media folder per test."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def model_dir(settings):
    """The model the live server uses ($CXR_MODEL_DIR, else the bundled one), or a visible skip."""
    model_dir = Path(os.environ.get("CXR_MODEL_DIR") or REPO_DIR / "models" / "bundled")
    if not (model_dir / "model.onnx").is_file():
        pytest.skip(f"bundled model not exported yet ({model_dir / 'model.onnx'} is missing)")
    settings.CXR_MODEL_DIR = str(model_dir)
    return model_dir


@pytest.fixture
def media_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT
