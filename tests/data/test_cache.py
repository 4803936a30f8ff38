"""The image cache under parallel builders (sweep processes that start together)."""
from __future__ import annotations

import numpy as np
from PIL import Image

from cxr.data import cache


def _write_pngs(folder, count):
    paths = []
    for i in range(count):
        path = folder / f"img{i}.png"
        Image.fromarray(np.full((40, 40), 20 * i, dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_two_builders_of_one_cache_both_finish(tmp_path, monkeypatch):
    """A second build of the same cache that lands while the first is saving must not break it.

    Reproduces the CI failure where two sweep processes shared one temporary name and the first
    rename moved the second's file away.
    """
    paths = _write_pngs(tmp_path, 3)
    cache_dir = tmp_path / "cache"
    real_save = np.save
    nested = {"done": False}

    def save_while_another_builder_finishes(file, array, *args, **kwargs):
        real_save(file, array, *args, **kwargs)
        if not nested["done"]:
            nested["done"] = True
            # The other process: same key, builds and renames before this one renames.
            cache.cached_images(paths, size=16, cache_dir=cache_dir, workers=1, progress=False)

    monkeypatch.setattr(cache.np, "save", save_while_another_builder_finishes)
    images = cache.cached_images(paths, size=16, cache_dir=cache_dir, workers=1, progress=False)

    assert nested["done"]
    assert images.shape == (3, 16, 16)
    assert [p.name for p in cache_dir.iterdir()] == [f"{cache.cache_key(paths, 16, 'none')}.npy"]
