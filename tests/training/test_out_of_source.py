"""Out-of-source predictions: each image is read by the fold model that never saw its source."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from cxr.data.index import task_frame  # noqa: E402
from cxr.inference.guard.detectors import familiarity_ratio  # noqa: E402
from cxr.training.loop import TrainConfig, train  # noqa: E402
from cxr.training.out_of_source import (  # noqa: E402
    PREDICTIONS_FILE,
    PROTOCOL_FILE,
    parse_groups,
    read_features,
    relative_paths,
    run_out_of_source,
    write_predictions,
)

pytestmark = [pytest.mark.train, pytest.mark.slow]


@pytest.fixture(scope="module")
def small_frame(shared_index):
    """Eight images of each class from every source that has them: 5 sources, 3 classes."""
    picked = shared_index.sort_values("path").groupby(["source", "label"]).head(8)
    return task_frame(picked.reset_index(drop=True), "3class")


def _groups(frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    sources = sorted(set(frame["source"]))
    return {"first": tuple(sources[:2]), "rest": tuple(sources[2:])}


def _config(tmp_path) -> TrainConfig:
    return TrainConfig(split_csv="", arch="EfficientNet-Lite0", pretrained="none", lr=1e-3,
                       batch_size=8, epochs=1, img_size=32, augment="none", device="auto",
                       workers=1, max_train_batches=2, cache_dir=str(tmp_path / "cache"))


def test_every_image_gets_one_reading_from_the_model_blind_to_its_source(small_frame, tmp_path):
    groups = _groups(small_frame)
    trained = []

    def counting_train(config):
        trained.append(json.loads(json.dumps(dataclasses.asdict(config))))
        return train(config, log=lambda _: None)

    out = tmp_path / "oos"
    # Folds in parallel processes: each runs its own; the CSV waits for the last one.
    messages = []
    assert run_out_of_source(small_frame, out, _config(tmp_path), groups, log=messages.append,
                             train_fn=counting_train, only=["first"]) is None
    assert not (out / PREDICTIONS_FILE).exists() and "rest" in messages[-1]
    csv_path = run_out_of_source(small_frame, out, _config(tmp_path), groups, log=lambda _: None,
                                 train_fn=counting_train, only=["rest"])
    table = pd.read_csv(csv_path)
    assert len(table) == len(small_frame) and list(table["path"]) == list(small_frame["path"])
    logits = table[["logit_covid", "logit_pneumonia", "logit_normal"]].to_numpy()
    assert np.isfinite(logits).all()
    for name, sources in groups.items():
        assert set(table.loc[table["group"] == name, "source"]) == set(sources)
    # Each fold's model was trained on the other group's sources only.
    assert len(trained) == 2
    for config in trained:
        split = pd.read_csv(config["split_csv"])
        held = set(split.loc[split["subset"] == "test", "source"])
        seen = set(split.loc[split["subset"] != "test", "source"])
        assert held in [set(s) for s in groups.values()] and not held & seen

    features = read_features(out, groups)
    for name, fold in features.items():
        # The familiarity ratio travels in the CSV, so the trust fit needs no feature files.
        expected = familiarity_ratio(fold["reference_features"], fold["val_features"], fold["features"])
        assert np.allclose(table.loc[fold["rows"], "knn_ratio"], expected)
        assert len(fold["rows"]) == (table["group"] == name).sum()
        assert fold["features"].shape[0] == len(fold["rows"]) and fold["features"].shape[1] > 100
        assert len(fold["val_rows"]) > 0 and fold["reference_features"].shape[1] == fold["features"].shape[1]
    protocol = json.loads((out / PROTOCOL_FILE).read_text())
    assert protocol["groups"] == {k: list(v) for k, v in groups.items()}
    assert protocol["images"] == len(small_frame)

    # Resumed: finished folds are neither trained nor predicted again.
    before = (out / PREDICTIONS_FILE).read_bytes()

    def must_not_train(config):
        raise AssertionError("a finished fold was trained again")

    # Resumed with more threads and another command line: the same protocol.
    resumed = dataclasses.replace(_config(tmp_path), workers=2, command="python -m cxr again")
    run_out_of_source(small_frame, out, resumed, groups, log=lambda _: None,
                      train_fn=must_not_train)
    assert (out / PREDICTIONS_FILE).read_bytes() == before

    # Written for committing: the same rows, paths relative to the X-ray set's folder.
    root = Path(os.path.commonpath(list(small_frame["path"]))).parent
    relative = pd.read_csv(write_predictions(small_frame, out, groups, root=root))
    assert not any(Path(p).is_absolute() for p in relative["path"])
    assert [str(root / p) for p in relative["path"]] == [str(Path(p)) for p in small_frame["path"]]
    assert relative.drop(columns="path").equals(table.drop(columns="path"))


def test_relative_paths_only_when_every_image_lies_under_the_root(tmp_path):
    inside = [str(tmp_path / "images" / "covid" / "a.png"), str(tmp_path / "images" / "normal" / "b.png")]
    assert relative_paths(inside, tmp_path) == ["images/covid/a.png", "images/normal/b.png"]
    assert relative_paths([*inside, "/elsewhere/c.png"], tmp_path) == [*inside, "/elsewhere/c.png"]


def test_a_folder_refuses_another_protocol_and_unassigned_sources(small_frame, tmp_path):
    groups = _groups(small_frame)
    out = tmp_path / "oos"
    (out).mkdir()
    (out / PROTOCOL_FILE).write_text(json.dumps({"groups": {"other": ["x"]}}))
    with pytest.raises(ValueError, match="another protocol"):
        run_out_of_source(small_frame, out, _config(tmp_path), groups, log=lambda _: None)
    with pytest.raises(ValueError, match="not groups"):
        run_out_of_source(small_frame, tmp_path / "c", _config(tmp_path), groups, log=lambda _: None,
                          only=["nowhere"])
    with pytest.raises(ValueError, match="in no held-out group"):
        run_out_of_source(small_frame, tmp_path / "b", _config(tmp_path), {"first": groups["first"]},
                          log=lambda _: None)


def test_group_specs_parse_and_reject_malformed_ones():
    assert parse_groups(["kermany=skytells,zargari", "nih=darkcovidnet"]) == {
        "kermany": ("skytells", "zargari"), "nih": ("darkcovidnet",)}
    with pytest.raises(ValueError, match="NAME=SOURCE"):
        parse_groups(["kermany"])
