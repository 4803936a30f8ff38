"""Small image jobs of the web app: thumbnails and the heat map laid over the X-ray.

Pillow and numpy only; the model's own pixel pipeline stays in cxr. The stored X-ray is a
display copy, at most DISPLAY_MAX_SIDE px (cxr.inference.rendering, shared with the engine).

An upload's display copies (the X-ray and its thumbnail) depend only on the decoded pixels, so
they are made on a second core while the model reads the same pixels (`display_files_started`):
on 2 cores that takes them off one person's wait (docs/performance.md).
"""
from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.inference import rendering
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


def heatmap_png(heat: np.ndarray, image_shape: tuple[int, int], max_side: int) -> bytes:
    """The model's heat map as a transparent RGBA PNG with the X-ray's aspect ratio, at most
    `max_side` px: the library's picture (cxr.inference.rendering.heatmap_png), also
    Prediction.heatmap_png's."""
    return rendering.heatmap_png(heat, image_shape, max_side)


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


def overlay_png(original: Path, heatmap: Path, opacity: float = rendering.OVERLAY_OPACITY,
                max_side: int | None = None) -> bytes:
    """The stored X-ray with its stored heat map composited on top (RGB PNG), for reports: drawn
    as Prediction.overlay_png draws it (cxr.inference.rendering.overlay_image)."""
    out = rendering.overlay_image(Image.open(original), Image.open(heatmap), opacity)
    if max_side:
        out.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return png_bytes(out)
