"""Small image jobs of the web app: thumbnails and the heat map laid over the X-ray.

Pillow and numpy only; the model's own pixel pipeline stays in cxr. The stored X-ray is a
display copy, at most DISPLAY_MAX_SIDE px (cxr.inference.rendering, shared with the engine).

An upload's display copies (the X-ray and its thumbnail) depend only on the decoded pixels, so
they are made on a second core while the model reads the same pixels (`display_files_started`):
on 2 cores that takes them off one person's wait (docs/performance.md).
"""
from __future__ import annotations

import contextlib
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.inference.rendering import DISPLAY_MAX_SIDE, png_bytes

THUMBNAIL_SIDE = 256


def display_png(gray: np.ndarray, max_side: int = DISPLAY_MAX_SIDE) -> bytes:
    """The decoded grayscale pixels as PNG, shrunk to `max_side` if larger; no metadata at all."""
    img = Image.fromarray(np.ascontiguousarray(gray))  # maps the array's memory: no copy
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return png_bytes(img)


def display_files(gray: np.ndarray) -> tuple[bytes, bytes]:
    """(display PNG, thumbnail PNG) of the decoded pixels: the ones started in the background
    for this very array by `display_files_started` in this thread, else made now."""
    pending = getattr(_pending, "item", None)
    if pending is not None and pending[0] is gray and not pending[1].cancel():
        return pending[1].result()  # running or done; a job still queued was cancelled: make it here
    return _display_files(gray)


def _display_files(gray: np.ndarray) -> tuple[bytes, bytes]:
    return display_png(gray), thumbnail_png(gray)


_pending = threading.local()  # (the array, its Future) of the upload this thread is handling
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    """The process's pool, made on first use: after gunicorn has forked the worker."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="display-images")
        return _pool


@contextlib.contextmanager
def display_files_started(gray: np.ndarray):
    """Start making `gray`'s display files in the background for the duration of the block;
    `display_files(gray)` inside it (in this thread) takes them. A job no pool thread has started
    yet is then made in the caller's thread instead, so a busy pool never makes an upload wait
    longer; a block left without taking them (a refused image) cancels a job not yet started."""
    future = _executor().submit(_display_files, gray)
    _pending.item = (gray, future)
    try:
        yield
    finally:
        _pending.item = None
        future.cancel()


@functools.cache
def _heat_lut() -> np.ndarray:
    """(256, 4) uint8: heat level -> RGBA, with cxr.inference's colour map; alpha = heat."""
    from cxr.inference.cam import colourise

    levels = np.linspace(0.0, 1.0, 256, dtype=np.float32)[None, :]
    return np.concatenate([colourise(levels)[0], np.arange(256, dtype=np.uint8)[:, None]], axis=1)


def heatmap_png(heat: np.ndarray, image_shape: tuple[int, int], max_side: int) -> bytes:
    """The model's heat map (float (S, S) in [0, 1]) as a transparent RGBA PNG with the X-ray's
    aspect ratio, at most `max_side` px: cold parts see-through, hot parts opaque.

    The same picture as cxr.inference's Prediction.heatmap_png, made with a 256-entry lookup
    table because it is on every upload's path.
    """
    height, width = image_shape[:2]
    scale = min(1.0, max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(np.asarray(heat, dtype=np.float32), mode="F").resize(
        size, Image.Resampling.BILINEAR)
    levels = (np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    return png_bytes(Image.fromarray(_heat_lut()[levels], "RGBA"))


def thumbnail_png(gray: np.ndarray, side: int = THUMBNAIL_SIDE) -> bytes:
    """A grayscale PNG no larger than side x side, aspect ratio kept."""
    img = Image.fromarray(np.ascontiguousarray(gray))
    img.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return png_bytes(img)


def is_whole_picture(path: Path) -> bool:
    """Whether `path` is a picture PIL reads through to its end (Image.verify: the PNG's chunks and
    checksums): a stored file cut short or overwritten by a bad restore or a disk error is not,
    though it is there. A stored display PNG is at most DISPLAY_MAX_SIDE a side: a few ms."""
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):  # what PIL raises for damage
        return False
    return True


def overlay_png(original: Path, heatmap: Path, opacity: float = 0.5, max_side: int | None = None) -> bytes:
    """The X-ray with its transparent heat map composited on top (RGB PNG), for reports."""
    base = Image.open(original).convert("RGBA")
    heat = Image.open(heatmap).convert("RGBA")
    if heat.size != base.size:
        heat = heat.resize(base.size, Image.Resampling.BILINEAR)
    if opacity < 1.0:
        alpha = heat.getchannel("A").point(lambda a: int(a * opacity))
        heat.putalpha(alpha)
    out = Image.alpha_composite(base, heat).convert("RGB")
    if max_side:
        out.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return png_bytes(out)
