"""PNG encoding and the display size: shared by the engine's pictures, the non-X-ray test set
and the web app's stored images, so all of them are encoded one way."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

DISPLAY_MAX_SIDE = 1024  # px: the browser, the report and the PDF never need more

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
