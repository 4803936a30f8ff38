"""Fixtures of the research toolkit's tests: a tiny real split and one tiny trained run.

Everything is built once per test session from real images in ../shared (skipped with a reason
where they are absent) and kept in a temporary folder, so the toolkit tests stay small and fast.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_PER_CLASS = {"covid": 24, "normal": 24, "pneumonia": 16}  # 64 images
TINY_SIZE = 64


def pick_per_class(index, per_class: dict[str, int]):
    """A fixed selection of rows per label, taking sources in turn so that every source appears."""
    import pandas as pd

    picked = []
    for label, n in per_class.items():
        rows = index[index["label"] == label].sort_values("path")
        by_source = [group for _, group in rows.groupby("source", sort=True)]
        order = []
        for i in range(max(len(g) for g in by_source)):
            order += [g.iloc[i] for g in by_source if i < len(g)]
        picked += order[:n]
    return pd.DataFrame(picked).reset_index(drop=True)


@pytest.fixture(scope="session")
def shared_index(cxr_dir):
    from cxr.data.index import import_shared_manifest

    return import_shared_manifest(cxr_dir)


@pytest.fixture(scope="session")
def tiny_split_csv(shared_index, tmp_path_factory):
    """A random 80/10/10 split of 64 real images (3-class task), as a split CSV file."""
    from cxr.data.index import task_frame
    from cxr.data.splits import make_split, save_split

    frame = task_frame(pick_per_class(shared_index, TINY_PER_CLASS), "3class")
    split = make_split(frame, "random", seed=0)
    return save_split(split, tmp_path_factory.mktemp("split") / "3class_random_s0.csv")


@pytest.fixture(scope="session")
def toolkit_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def trained_run(tiny_split_csv, toolkit_cache_dir, tmp_path_factory):
    """One real 3-epoch training run (EfficientNet-Lite0 from scratch, 64 px) on the tiny split."""
    pytest.importorskip("torch")
    from cxr.training.loop import TrainConfig, train

    config = TrainConfig(
        split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none", lr=1e-3,
        batch_size=16, epochs=3, patience=10, img_size=TINY_SIZE, augment="none",
        out_dir=str(tmp_path_factory.mktemp("runs") / "lite0"), device="cpu", workers=1,
        cache_dir=str(toolkit_cache_dir),
    )
    return train(config, log=lambda _: None)


@pytest.fixture(scope="session")
def tiny_model_dir(trained_run, toolkit_cache_dir, cxr_dir, tmp_path_factory):
    """The tiny run exported with `cxr export` (every 8th non-X-ray image, 50 bootstraps, the
    metrics of an `evaluate` run of it added as extra metrics "again", the heat-map check on
    the shared lung masks).

    Right format and real numerics (ONNX vs PyTorch), meaningless accuracy: tests that judge
    the model's decisions use `served_model_dir` and say which model they ran on.
    """
    from cxr.data.negatives import build_negative_set
    from cxr.export.bundle import export_model
    from cxr.training.evaluate import evaluate_run

    # A real evaluation run to pass as --extra-metrics (here on the same split, named "again").
    evaluation = tmp_path_factory.mktemp("evaluation")
    evaluate_run(trained_run, out_dir=evaluation, n_boot=20, device="cpu", cache_dir=toolkit_cache_dir)
    out = tmp_path_factory.mktemp("models") / "tiny"
    card = export_model(trained_run / "best.pt", out, cache_dir=toolkit_cache_dir,
                        extra_metrics={"again": evaluation / "metrics.json"},
                        negatives=build_negative_set()[::8], n_boot=50, lung_masks_dir=cxr_dir,
                        log=lambda _: None)
    return card.parent


@pytest.fixture(scope="session")
def served_model_dir(request):
    """$CXR_TEST_MODEL_DIR, else models/bundled when installed (what users get), else the tiny
    exported model. `served_model_is_tiny` tells tests of a trained model's judgement to skip."""
    from cxr.inference.predictor import BUNDLED_MODEL_DIR

    if os.environ.get("CXR_TEST_MODEL_DIR"):
        return Path(os.environ["CXR_TEST_MODEL_DIR"])
    if (BUNDLED_MODEL_DIR / "model_card.json").exists():
        return BUNDLED_MODEL_DIR
    return request.getfixturevalue("tiny_model_dir")


@pytest.fixture(scope="session")
def served_model_is_tiny(served_model_dir) -> bool:
    from cxr.inference.predictor import BUNDLED_MODEL_DIR

    return not os.environ.get("CXR_TEST_MODEL_DIR") and served_model_dir != BUNDLED_MODEL_DIR
