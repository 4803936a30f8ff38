"""Out-of-source folds shared by the CLI tests that read them (trust, lung field)."""
from __future__ import annotations

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
