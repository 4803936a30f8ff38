"""Property test: whatever bytes arrive, decoding returns an image or raises an ImageError."""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cxr.inference import ImageError, decode_image

# pydicom warns (and recovers) about nonsense character sets in random bytes.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

PREFIXES = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b"BM",
            b"\0" * 128 + b"DICM", b"\x08\x00\x05\x00", b"GIF89a"]


def _small_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)).save(buffer, format="PNG")
    return buffer.getvalue()


SEED_FILES = [_small_png()]


def _decode_or_image_error(data: bytes) -> None:
    try:
        decoded = decode_image(data, max_pixels=4_000_000)
    except ImageError as exc:
        assert exc.message and exc.code
        return
    assert decoded.gray.dtype == np.uint8 and decoded.gray.ndim == 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2048))
def test_random_bytes_after_a_magic_number_raise_only_image_errors(prefix, body):
    _decode_or_image_error(prefix + body)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(SEED_FILES[0]) - 1),
       value=st.integers(min_value=0, max_value=255), cut=st.integers(min_value=1, max_value=len(SEED_FILES[0])))
def test_mutated_real_files_raise_only_image_errors(position, value, cut):
    data = bytearray(SEED_FILES[0])
    data[position] = value
    _decode_or_image_error(bytes(data[:cut]))
