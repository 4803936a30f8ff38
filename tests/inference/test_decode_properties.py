"""Property-based tests of cxr.inference's decoders: whatever the bytes, only ImageError escapes.

Hypothesis generates random files, random bytes behind real magic numbers (to get past format
sniffing into each parser) and mutations of real PNG, JPEG and DICOM files. A decoder may
return a picture (then a proper 2-D uint8 array) or raise an ImageError subclass with a code
and a message; anything else would be a 500 in the web app. Runs are derandomised: CI sees the
same examples every time, and a failure is reproducible.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxr.inference import DecodedImage, ImageError, decode_image
from tests.support.hostile_corpus import base_files

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

MAGIC_PREFIXES = [
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"\x00" * 128 + b"DICM",
    b"\x02\x00\x00\x00",
    b"\x08\x00\x05\x00",
]


def assert_decodes_or_refuses(data: bytes) -> None:
    try:
        decoded = decode_image(data)
    except ImageError as exc:
        assert exc.code and isinstance(exc.code, str)
        assert exc.message and "object at 0x" not in exc.message
        return
    assert isinstance(decoded, DecodedImage)
    assert decoded.gray.ndim == 2 and decoded.gray.dtype == np.uint8 and decoded.gray.size > 0


@pytest.fixture(scope="module")
def real_files(xray_paths) -> list[bytes]:
    png = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png")
    jpeg = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".jpg")
    bases = base_files(png, jpeg)
    return [bases[k][2] for k in ("png", "jpeg", "dicom", "dicom16", "png16", "bmp", "tiff")]


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    assert_decodes_or_refuses(data)


@PROPERTY_SETTINGS
@given(st.sampled_from(MAGIC_PREFIXES), st.binary(max_size=2048))
def test_random_bytes_behind_a_real_magic_number(prefix, tail):
    assert_decodes_or_refuses(prefix + tail)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_mutated_real_files(real_files, data):
    original = data.draw(st.sampled_from(real_files), label="file")
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 12), label="mutations")):
        at = data.draw(st.integers(0, len(mutated) - 1), label="offset")
        mutated[at] = data.draw(st.integers(0, 255), label="byte")
    cut = data.draw(st.integers(1, len(mutated)), label="kept bytes")
    assert_decodes_or_refuses(bytes(mutated[:cut]))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_mutated_headers_of_real_files(real_files, data):
    # Headers are where sizes, bit depths and offsets live: mutate only the first 400 bytes.
    original = data.draw(st.sampled_from(real_files), label="file")
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        at = data.draw(st.integers(0, min(len(mutated), 400) - 1), label="offset")
        mutated[at] = data.draw(st.integers(0, 255), label="byte")
    assert_decodes_or_refuses(bytes(mutated))


@pytest.mark.parametrize("data", [b"", b"\x00", b"BM", b"\x89PNG"])
def test_tiny_inputs(data):
    with pytest.raises(ImageError):
        decode_image(data)
