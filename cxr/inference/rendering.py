"""PNG encoding, the display size and the heat map's picture: shared by the engine's pictures,
the non-X-ray test set and the web app's stored images, so all of them are encoded and drawn one
way."""
from __future__ import annotations

import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image

from cxr.inference.cam import colourise

DISPLAY_MAX_SIDE = 1024  # px: the browser, the report and the PDF never need more
# How opaque the heat map is where it is hottest when it is burned into the X-ray (the web app's
# overlay for reports, the PDF and the PACS; Prediction.overlay_png): the X-ray stays readable
# under it. The reading page instead lays the heat map over the X-ray at an opacity the reader sets.
OVERLAY_OPACITY = 0.5


def display_size(image_shape: tuple[int, ...], max_side: int) -> tuple[int, int]:
    """(width, height) of an image of `image_shape` (height, width, ...) shrunk to `max_side` px
    on its longer side if larger, aspect ratio kept."""
    height, width = image_shape[:2]
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(width * scale)), max(1, round(height * scale))


@functools.cache
def _heat_colours() -> np.ndarray:
    """(256, 4) uint8: heat level -> RGBA, with cam.colourise's colour map; alpha = the level."""
    levels = np.linspace(0.0, 1.0, 256, dtype=np.float32)[None, :]
    return np.concatenate([colourise(levels)[0], np.arange(256, dtype=np.uint8)[:, None]], axis=1)


def heatmap_image(heat: np.ndarray, image_shape: tuple[int, ...], max_side: int) -> Image.Image:
    """The model's heat map (float (S, S) in [0, 1]) as a transparent RGBA picture with the X-ray's
    aspect ratio, at most `max_side` px: coloured by heat, and as opaque as it is hot (alpha =
    heat), so cold parts are see-through. A 256-entry lookup table: it is on every upload's path."""
    resized = Image.fromarray(np.asarray(heat, dtype=np.float32), mode="F").resize(
        display_size(image_shape, max_side), Image.Resampling.BILINEAR)
    levels = (np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    return Image.fromarray(_heat_colours()[levels], "RGBA")


def heatmap_png(heat: np.ndarray, image_shape: tuple[int, ...], max_side: int) -> bytes:
    """`heatmap_image` as PNG bytes."""
    return png_bytes(heatmap_image(heat, image_shape, max_side))


def overlay_image(xray: Image.Image, heatmap: Image.Image, opacity: float = OVERLAY_OPACITY) -> Image.Image:
    """The X-ray (any mode) with a `heatmap_image` composited on top at `opacity`, as RGB; the heat
    map is stretched to the X-ray's size."""
    base = xray.convert("RGBA")
    heat = heatmap.convert("RGBA")
    if heat.size != base.size:
        heat = heat.resize(base.size, Image.Resampling.BILINEAR)
    if opacity < 1.0:
        heat.putalpha(heat.getchannel("A").point(lambda a: int(a * opacity)))
    return Image.alpha_composite(base, heat).convert("RGB")

# Pillow mode -> (PNG colour type, bytes per pixel) of the 8-bit layouts written directly.
_PNG_LAYOUTS = {"L": (0, 1), "LA": (4, 2), "RGB": (2, 3), "RGBA": (6, 4)}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type "Up": each byte minus the byte above it


def png_bytes(img: Image.Image) -> bytes:
    """`img` as PNG bytes, no metadata, lossless.

    8-bit grey, grey+alpha, RGB and RGBA are written here: every row with the "Up" filter (one
    numpy subtraction), deflated by Intel's ISA-L (`isal`) at level 1. Pillow tries all five PNG
    filters on every row and keeps the best, which cost 25-30 ms of the 1,024 px display copy
    of a noisy full-size X-ray; the Up filter with zlib level 1 took 10 ms, and ISA-L's deflate
    takes 2 ms for a file about a tenth larger (measured in docs/performance.md). The stream is
    standard zlib: every PNG reader opens it. Other modes go through Pillow."""
    layout = _PNG_LAYOUTS.get(img.mode)
    if layout is None:
        buffer = io.BytesIO()
        img.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()
    colour_type, channels = layout
    width, height = img.size
    rows = np.asarray(img, dtype=np.uint8).reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), np.uint8)
    filtered[:, 0] = _UP
    filtered[:1, 1:] = rows[:1]  # the first row's "above" is zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 wraps modulo 256, as PNG wants
    from isal import isal_zlib  # here, not at import: training machines need not have it

    pixels = isal_zlib.compress(filtered.data, 1)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join((_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", pixels), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
