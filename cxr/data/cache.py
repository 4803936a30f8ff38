"""The preprocessed image cache: every image decoded and prepared once, then memory-mapped.

An epoch then costs array slicing instead of PNG decoding. The cache key covers the file list,
size and contrast mode, so a changed split or setting builds a new cache instead of reusing a
wrong one.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from cxr.files import atomic_target
from cxr.inference.decode import decode_image
from cxr.inference.errors import ImageError
from cxr.preprocess import prepare_gray

CACHE_VERSION = "1"
# Where caches go without a cache_dir: $CXR_CACHE_DIR, read at import (docs/toolkit.md), else
# var/cache; a relative folder is taken from the current one.
DEFAULT_CACHE_DIR = Path(os.environ.get("CXR_CACHE_DIR", "var/cache"))


class UnreadableImages(ValueError):
    """Images of the list that cannot be decoded: `failures` maps each path to its reason. Raised
    after every image was tried, so that one run names them all."""

    def __init__(self, failures: dict[str, str]):
        self.failures = failures
        listed = "; ".join(f"{path}: {why}" for path, why in list(failures.items())[:10])
        more = f"; and {len(failures) - 10} more" if len(failures) > 10 else ""
        super().__init__(f"{len(failures)} image(s) cannot be read: {listed}{more}")


def _prepare_one(args: tuple[str, int, str]) -> np.ndarray | str:
    """The prepared image, or the reason it cannot be read (a string: it crosses processes)."""
    path, size, contrast = args
    # The serving decoder, so that training sees exactly the pixels an upload would give.
    try:
        return prepare_gray(decode_image(path).gray, size=size, contrast=contrast)
    except ImageError as exc:
        return f"{exc.code}: {exc.message}"


def cache_key(paths: list[str], size: int, contrast: str) -> str:
    digest = hashlib.sha1(f"v{CACHE_VERSION}|{size}|{contrast}|".encode())
    for p in paths:
        digest.update(p.encode() + b"\n")
    return digest.hexdigest()[:20]


def cached_images(
    paths: list[str],
    size: int = 224,
    contrast: str = "none",
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> np.ndarray:
    """uint8 (N, size, size) images in the order of `paths`, built once and memory-mapped after.

    Raises UnreadableImages naming every file that cannot be decoded (no cache is written)."""
    paths = [str(p) for p in paths]
    cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    target = cache_dir / f"{cache_key(paths, size, contrast)}.npy"
    if target.exists():
        return np.load(target, mmap_mode="r")
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = np.empty((len(paths), size, size), dtype=np.uint8)
    jobs = [(p, size, contrast) for p in paths]
    workers = workers or min(4, os.cpu_count() or 1)
    pool = ProcessPoolExecutor(workers) if workers > 1 and len(paths) > 64 else None
    try:
        iterator = pool.map(_prepare_one, jobs, chunksize=32) if pool else map(_prepare_one, jobs)
        if progress:
            from tqdm import tqdm

            iterator = tqdm(iterator, total=len(paths), desc=f"caching {len(paths)} images @{size}px", unit="img")
        failures = {}
        for i, img in enumerate(iterator):
            if isinstance(img, str):
                failures[paths[i]] = img
            else:
                out[i] = img
    finally:
        if pool:
            pool.shutdown()
    if failures:
        raise UnreadableImages(failures)
    # Parallel sweep processes can build the same cache at once: the last writer wins with
    # identical bytes, and a crashed build never leaves a half cache.
    with atomic_target(target) as tmp, open(tmp, "wb") as stream:
        np.save(stream, out)
    return np.load(target, mmap_mode="r")
