"""What a person reads when a file cannot be read: the sentence holds no decoder jargon (Pillow's
English error, which a translation cannot reach), and an iPhone photo (HEIC) says how to get a
JPEG instead. The decoder's own words stay in the notice's parameters for logs and programs."""
from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from PIL import Image

from cxr.inference import CorruptImage, UnsupportedFormat
from cxr.inference.decode import decode_image


def jpeg(quality: int = 90) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (256, 256), dtype=np.uint8)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_cut_off_jpeg_is_explained_without_the_decoders_words(cut, caplog):
    data = jpeg()
    with caplog.at_level(logging.INFO, logger="cxr.inference.decode"), pytest.raises(CorruptImage) as info:
        decode_image(data[: int(len(data) * cut)])
    notice = info.value.message
    assert notice.code == "damaged_file"
    detail = notice.params["detail"]
    assert detail  # kept for logs and programs ...
    assert detail not in str(notice)  # ... but not in the sentence a person reads
    assert "(" not in str(notice) and "truncated" not in str(notice).lower()
    assert str(notice).startswith("The JPEG file is damaged or incomplete: it may have been cut off")
    assert detail in caplog.text


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1"])
def test_an_iphone_photo_says_how_to_get_a_jpeg(brand):
    heic = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(UnsupportedFormat) as info:
        decode_image(heic)
    notice = info.value.message
    assert notice.code == "heic_not_supported"
    assert "Settings > Camera > Formats > Most Compatible" in notice
    assert "as JPEG" in notice and "digital copy" in notice


def test_a_video_is_still_named_as_before():
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
    with pytest.raises(UnsupportedFormat) as info:
        decode_image(mp4)
    assert info.value.message.code == "format_not_supported"
    assert "HEIC/MP4" in info.value.message
