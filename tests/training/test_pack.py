"""The GPU machine's training copy: built from real X-rays, cut into parts, checked, unpacked
into a cache that training reads without the original files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from cxr.data.cache import cached_images  # noqa: E402
from cxr.data.splits import read_split  # noqa: E402
from cxr.training.pack import build, missing_parts, unmap, unpack  # noqa: E402

pytestmark = pytest.mark.train


def test_pack_round_trip_feeds_training_without_the_original_images(tiny_split_csv, tmp_path):
    size = 48
    original = np.asarray(cached_images(list(read_split(tiny_split_csv)["path"]), size, "none",
                                        tmp_path / "cache", progress=False))
    manifest = build(tiny_split_csv, tmp_path / "pack", size=size, part_mib=0.01, weights=False,
                     cache_dir=tmp_path / "cache")
    assert len(manifest["parts"]) >= 2  # cut into parts of at most 0.01 MiB
    assert all(p["bytes"] <= 0.01 * 2**20 for p in manifest["parts"])
    assert manifest["images"] == len(original) and 0 < manifest["mean_abs_change_grey_levels"] < 4

    last = tmp_path / "pack" / manifest["parts"][-1]["name"]
    kept = last.read_bytes()
    last.unlink()  # a part not carried yet
    assert missing_parts(tmp_path / "pack") == [last.name]
    with pytest.raises(FileNotFoundError, match=last.name):
        unpack(tmp_path / "pack", tmp_path / "there")
    last.write_bytes(kept[:-1] + bytes([kept[-1] ^ 1]))  # same size, one bit changed
    with pytest.raises(ValueError, match="checksum"):
        unpack(tmp_path / "pack", tmp_path / "there")
    last.write_bytes(kept)

    split_path = unpack(tmp_path / "pack", tmp_path / "there")
    split = read_split(split_path)
    assert list(split["path"])[:2] == ["packed/00000", "packed/00001"]  # no machine's paths
    assert list(split["subset"]) == list(read_split(tiny_split_csv)["subset"])
    # The unpacked cache is the one training looks up: the packed/ paths exist nowhere, so this
    # would fail if it tried to decode them.
    there = np.asarray(cached_images(list(split["path"]), size, "none", tmp_path / "there" / "cache",
                                     progress=False))
    assert there.shape == original.shape
    change = np.abs(there.astype(int) - original).mean()
    assert change == pytest.approx(manifest["mean_abs_change_grey_levels"], abs=1e-3)
    json.dumps(manifest)  # the manifest is plain JSON


def test_another_split_over_the_same_images_travels_as_its_csv_and_gets_its_own_cache(tiny_split_csv, tmp_path):
    size = 40
    split = read_split(tiny_split_csv)
    subset = split.iloc[::-2].copy()  # another split: fewer images, in another order
    subset_csv = tmp_path / "binary_like.csv"
    subset.to_csv(subset_csv, index=False)
    original = np.asarray(cached_images(list(subset["path"]), size, "none", tmp_path / "cache", progress=False))
    manifest = build(tiny_split_csv, tmp_path / "pack", size=size, weights=False,
                     cache_dir=tmp_path / "cache", also_splits=(subset_csv,))
    assert manifest["also_splits"] == ["binary_like.csv"]
    unpack(tmp_path / "pack", tmp_path / "there")
    other = read_split(tmp_path / "there" / "splits" / "binary_like.csv")
    assert list(other["subset"]) == list(subset["subset"]) and all(p.startswith("packed/") for p in other["path"])
    there = np.asarray(cached_images(list(other["path"]), size, "none", tmp_path / "there" / "cache",
                                     progress=False))
    assert there.shape == original.shape and np.abs(there.astype(int) - original).mean() < 4

    stranger = split.iloc[:1].copy()
    stranger["path"] = ["/nowhere/else.png"]
    stranger.to_csv(tmp_path / "stranger.csv", index=False)
    with pytest.raises(ValueError, match="not in"):
        build(tiny_split_csv, tmp_path / "pack2", size=size, weights=False, cache_dir=tmp_path / "cache",
              also_splits=(tmp_path / "stranger.csv",))


def test_unmap_puts_the_original_paths_back_into_a_csv_from_the_machine(tiny_split_csv, tmp_path):
    split = read_split(tiny_split_csv)
    there = pd.DataFrame({"path": ["packed/00002", "packed/00000"], "logit_covid": [0.5, -1.25]})
    there.to_csv(tmp_path / "oos_predictions.csv", index=False)
    root = Path(split["path"].iloc[0]).parent.parent
    unmap(tmp_path / "oos_predictions.csv", tiny_split_csv, root=root)
    back = pd.read_csv(tmp_path / "oos_predictions.csv")
    assert [str(root / p) for p in back["path"]] == [str(Path(split["path"].iloc[i])) for i in (2, 0)]
    assert list(back["logit_covid"]) == [0.5, -1.25]
    pd.DataFrame({"path": [f"packed/{len(split):05d}"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="not packed names"):
        unmap(tmp_path / "bad.csv", tiny_split_csv)
