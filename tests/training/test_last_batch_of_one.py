"""A training set one image over a multiple of the batch size (33 in batches of 8) trains: the
last batch of one image is left out, where BatchNorm stopped the run ("Expected more than 1 value
per channel when training") at 32 px."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from cxr.data.index import task_frame  # noqa: E402
from cxr.data.splits import save_split  # noqa: E402
from cxr.training.loop import TrainConfig, train  # noqa: E402

pytestmark = [pytest.mark.train]


def test_33_training_images_in_batches_of_8_train(shared_index, tmp_path):
    rows = task_frame(shared_index.sort_values("path").groupby("label").head(14)
                      .sample(frac=1, random_state=0).reset_index(drop=True), "3class")  # 42, mixed
    split = save_split(rows.assign(subset=["train"] * 33 + ["val"] * 9), tmp_path / "split.csv")
    config = TrainConfig(split_csv=str(split), pretrained="none", lr=1e-3, batch_size=8, epochs=1,
                         img_size=32, augment="none", out_dir=str(tmp_path / "run"), device="cpu",
                         workers=1, cache_dir=str(tmp_path / "cache"))
    done = json.loads((train(config, log=lambda _: None) / "done.json").read_text())
    assert done["train_images"] == 32  # four batches of 8; the one left over waits for the next epoch
