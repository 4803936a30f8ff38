"""Out-of-source folds shared by the CLI tests that read them (trust, lung field), and a copy of
the bundled model for the commands that write into a model folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def oos_dir(shared_index, tmp_path_factory):
    """Three source groups, each read by a tiny model trained without it (real training)."""
    pytest.importorskip("torch")
    from cxr.data.index import task_frame
    from cxr.training.loop import TrainConfig
    from cxr.training.out_of_source import run_out_of_source

    frame = task_frame(shared_index.sort_values("path").groupby(["source", "label"]).head(12)
                       .reset_index(drop=True), "3class")
    sources = sorted(set(frame["source"]))
    groups = {"a": tuple(sources[:2]), "b": tuple(sources[2:4]), "c": tuple(sources[4:])}
    out = tmp_path_factory.mktemp("oos")
    config = TrainConfig(split_csv="", pretrained="none", lr=1e-3, batch_size=8, epochs=1,
                         img_size=32, augment="none", device="cpu", workers=1, max_train_batches=2,
                         cache_dir=str(out / "cache"))
    run_out_of_source(frame, out, config, groups, log=lambda _: None)
    return out


@pytest.fixture
def bundled_model_copy(tmp_path) -> Path:
    """A copy of models/bundled at tmp_path / "model", for a command to write its card into;
    skips where the bundled model is not installed."""
    from cxr.inference.card import BUNDLED_MODEL_DIR

    if not (BUNDLED_MODEL_DIR / "model.onnx").exists():
        pytest.skip("models/bundled is not installed")
    model_dir = tmp_path / "model"
    shutil.copytree(BUNDLED_MODEL_DIR, model_dir)
    return model_dir
