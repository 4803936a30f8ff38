"""PNG encoding (cxr.inference.rendering.png_bytes): lossless in every mode, valid for any reader.

8-bit grey, grey+alpha, RGB and RGBA are written by the module itself (Up filter, ISA-L's
deflate at level 1, issue 21); other modes go through Pillow. Either way the file holds
exactly the pixels given and nothing else (no metadata).
"""
from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from cxr.inference.rendering import png_bytes


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, payload) of every chunk, after checking each one's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        assert crc == zlib.crc32(kind + payload), kind
        out.append((kind, payload))
        pos += 12 + length
    return out


@pytest.mark.parametrize(("mode", "shape"), [
    ("L", (37, 53)), ("L", (1, 1)), ("L", (1, 300)), ("L", (300, 1)),
    ("LA", (20, 31, 2)), ("RGB", (40, 3, 3)), ("RGBA", (64, 64, 4)), ("RGBA", (1, 1, 4)),
])
def test_written_modes_round_trip_exactly(mode, shape):
    pixels = np.random.default_rng(len(shape) * 1000 + shape[0]).integers(0, 256, shape, dtype=np.uint8)
    data = png_bytes(Image.fromarray(pixels, mode))
    assert [kind for kind, _ in chunks(data)] == [b"IHDR", b"IDAT", b"IEND"]  # no metadata
    back = Image.open(io.BytesIO(data))
    back.verify()
    back = Image.open(io.BytesIO(data))
    assert back.mode == mode and back.size == (shape[1], shape[0])
    np.testing.assert_array_equal(np.asarray(back), pixels)


def test_a_real_xray_round_trips_and_compresses(xray_paths):
    gray = Image.open(xray_paths["normal"][0]).convert("L")
    data = png_bytes(gray)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(gray))
    assert len(data) < gray.width * gray.height  # compressed, not stored


def test_a_view_of_a_larger_array_is_encoded_as_its_own_pixels():
    base = np.arange(100 * 80, dtype=np.uint32).reshape(100, 80).astype(np.uint8)
    img = Image.fromarray(base[10:50, 5:65])
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(img)))), base[10:50, 5:65])


@pytest.mark.parametrize("mode", ["1", "P", "I;16"])
def test_other_modes_go_through_pillow(mode):
    img = Image.fromarray(np.random.default_rng(1).integers(0, 200, (20, 30), dtype=np.uint8)).convert(
        "1" if mode == "1" else "L")
    if mode == "P":
        img = img.convert("P")
    elif mode == "I;16":
        img = Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30) * 97)
    back = Image.open(io.BytesIO(png_bytes(img)))
    assert back.mode == img.mode
    np.testing.assert_array_equal(np.asarray(back), np.asarray(img))
