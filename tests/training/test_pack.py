"""The GPU machine's training copy: built from real X-rays, cut into parts, checked, unpacked
into a cache that training reads without the original files."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from cxr.data.cache import cached_images  # noqa: E402
from cxr.data.splits import read_split  # noqa: E402
from cxr.training.pack import build, missing_parts, unpack  # noqa: E402

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
