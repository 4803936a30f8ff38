"""Decoding uploads: every supported format to the right grey pixels, every bad input to a typed
ImageError. Real X-rays from ../shared are re-encoded here (16-bit PNG, EXIF-rotated JPEG, TIFF,
BMP, colour/alpha/palette/CMYK, DICOM variants) so the expected pixels are known exactly."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxr.inference import (
    CorruptImage,
    EmptyFile,
    FileUnreadable,
    ImageTooLarge,
    UnsupportedFormat,
    decode_image,
)
from tests.support.hostile_corpus import encode, png_declaring


@pytest.fixture(scope="module")
def xray(xray_paths) -> np.ndarray:
    """One real X-ray (a Cohen PNG, non-square) as stored: uint8 (H, W)."""
    path = next(p for p in xray_paths["covid"] if p.suffix == ".png" and "cohen" in p.name)
    gray = np.asarray(Image.open(path).convert("L"))
    assert gray.shape[0] != gray.shape[1]
    return gray


def test_real_png_and_jpeg_from_shared_decode_as_pillow_reads_them(xray_paths):
    for path in [xray_paths["normal"][0], xray_paths["pneumonia"][0], *xray_paths["covid"][:3]]:
        decoded = decode_image(path)
        assert decoded.source_format == path.suffix.lstrip(".").replace("jpg", "jpeg")
        np.testing.assert_array_equal(decoded.gray, np.asarray(Image.open(path).convert("L")))
        assert decoded.colour_fraction == 0.0 and decoded.warnings == []


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "BMP"])
def test_lossless_formats_round_trip_exactly(xray, fmt):
    decoded = decode_image(encode(Image.fromarray(xray), fmt))
    assert decoded.source_format == fmt.lower()
    np.testing.assert_array_equal(decoded.gray, xray)


def test_format_comes_from_content_not_name(xray, tmp_path):
    misnamed = tmp_path / "scan.jpg"
    misnamed.write_bytes(encode(Image.fromarray(xray), "PNG"))
    assert decode_image(misnamed).source_format == "png"
    (tmp_path / "image.png").write_bytes(b"%PDF-1.4 not an image")
    with pytest.raises(UnsupportedFormat, match="PDF"):
        decode_image(tmp_path / "image.png")


def test_16_bit_png_is_scaled_from_its_bit_range_not_stretched(xray):
    """The 16-bit PNG of a picture (v * 257) decodes to the 8-bit PNG's pixels exactly; 12-bit
    data in a 16-bit PNG are scaled from 0..4095. A darkest-to-brightest stretch would not give
    the same pixels for an X-ray that does not span 0..255 (issue 15, item 6)."""
    assert xray.max() >= 128
    for stored, expected in ((xray.astype(np.uint16) * 257, xray),
                             (xray.astype(np.uint16) * 16, xray * (16 * 255 / 4095))):
        data = encode(Image.fromarray(stored), "PNG")
        assert Image.open(io.BytesIO(data)).mode.startswith("I")
        decoded = decode_image(data)
        assert np.abs(decoded.gray - expected).max() <= 0.5
        assert any("bit" in w for w in decoded.warnings)
    # Not stretched: a picture without black or white keeps its grey levels.
    flat = (xray.astype(np.uint16) // 2 + 64) * 257
    np.testing.assert_array_equal(decode_image(encode(Image.fromarray(flat), "PNG")).gray, xray // 2 + 64)


def test_exif_orientation_is_applied(xray):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    data = encode(Image.fromarray(xray), "JPEG", quality=95, exif=exif.tobytes())
    decoded = decode_image(data)
    upright = np.rot90(xray, k=-1)
    assert decoded.gray.shape == upright.shape
    assert np.abs(decoded.gray.astype(int) - upright).mean() < 3  # JPEG loss only


def test_colour_modes_become_grey_and_colour_is_measured(xray):
    rgb = Image.fromarray(xray).convert("RGB")
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=256)  # exact for <= 256 greys
    for img in (rgb, palette, rgb.convert("CMYK"), rgb.convert("RGBA")):
        decoded = decode_image(encode(img, "TIFF" if img.mode == "CMYK" else "PNG"))
        assert decoded.gray.shape == xray.shape
        assert np.abs(decoded.gray.astype(int) - xray).max() <= 2, img.mode
        assert decoded.colour_fraction == 0.0
    red = np.zeros((*xray.shape, 3), np.uint8)
    red[..., 0] = 200
    assert decode_image(encode(Image.fromarray(red), "PNG")).colour_fraction == 1.0


def test_colour_tint_is_zero_for_grey_saved_as_colour_and_measures_a_cast(xray):
    rgb = Image.fromarray(xray).convert("RGB")
    for quality, subsampling in ((40, 2), (75, 2), (95, 0)):  # JPEG's chroma rounding stays grey
        assert decode_image(encode(rgb, "JPEG", quality=quality, subsampling=subsampling)).colour_tint == 0.0
    assert decode_image(encode(rgb, "PNG")).colour_tint == 0.0
    assert decode_image(encode(Image.fromarray(xray), "PNG")).colour_tint == 0.0
    # A phone's white balance: blue 6% up across the picture, plus sensor noise per channel.
    rng = np.random.default_rng(0)
    cast = np.asarray(rgb, np.float32) * np.array([1.0, 1.0, 1.06]) + rng.normal(0, 4, (*xray.shape, 3))
    tinted = decode_image(encode(Image.fromarray(np.clip(cast, 0, 255).astype(np.uint8)), "JPEG", quality=80))
    lit = xray[xray > 60]  # the cast is 6% of each pixel's brightness
    assert 0.5 * 0.06 * np.median(lit) < tinted.colour_tint < 2 * 0.06 * np.median(lit)
    assert tinted.colour_fraction == 0.0  # far too faint for the strong-colour share


def test_transparent_pixels_are_shown_over_black(xray):
    rgba = np.dstack([xray, xray, xray, np.full_like(xray, 255)])
    rgba[:50, :, 3] = 0
    decoded = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert decoded.gray[:50].max() == 0
    np.testing.assert_array_equal(decoded.gray[50:], xray[50:])


def test_multipage_tiff_reads_the_first_page_with_a_warning(xray):
    first, second = Image.fromarray(xray), Image.fromarray(255 - xray)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    decoded = decode_image(buffer.getvalue())
    np.testing.assert_array_equal(decoded.gray, xray)
    assert any("first" in w for w in decoded.warnings)


# --- bad input --------------------------------------------------------------------------------

def test_huge_declared_size_is_refused_before_decoding():
    with pytest.raises(ImageTooLarge, match="megapixels") as info:
        decode_image(png_declaring(60_000, 60_000))
    assert info.value.code == "image_too_large"
    with pytest.raises(ImageTooLarge):
        decode_image(png_declaring(8_000, 8_000), max_pixels=50_000_000 // 2)


def test_an_image_past_pillows_own_limit_is_refused_with_its_size():
    """Pillow refuses an image over about 179 megapixels while opening it, before its size reaches
    our check; the refusal still says the image's size and our limit, as a smaller one's does."""
    with pytest.raises(ImageTooLarge) as info:
        decode_image(png_declaring(15_000, 12_000))
    notice = info.value.message
    assert notice.code == "too_many_pixels_sized"
    assert notice.params == {"width": 15_000, "height": 12_000, "limit_megapixels": 50.0}
    assert notice == "The image is too large (15000 x 12000 pixels); the limit is 50 megapixels."


def test_size_limits_in_bytes(xray, tmp_path):
    data = encode(Image.fromarray(xray), "PNG")
    with pytest.raises(ImageTooLarge, match="MiB"):
        decode_image(data, max_bytes=len(data) - 1)
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ImageTooLarge):
        decode_image(path, max_bytes=1000)


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.95])
def test_truncated_files_raise_corrupt_image(xray, cut):
    for fmt in ("PNG", "JPEG", "TIFF", "BMP"):
        data = encode(Image.fromarray(xray), fmt)
        with pytest.raises((CorruptImage, UnsupportedFormat)) as info:
            decode_image(data[: int(len(data) * cut)])
        assert info.value.message


def test_empty_missing_and_unsupported_inputs(tmp_path):
    with pytest.raises(EmptyFile):
        decode_image(b"")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(EmptyFile):
        decode_image(tmp_path / "empty.png")
    with pytest.raises(FileUnreadable):
        decode_image(tmp_path / "missing.png")
    with pytest.raises(FileUnreadable):
        decode_image(tmp_path)  # a folder
    gif = encode(Image.new("L", (80, 80), 128), "GIF")
    with pytest.raises(UnsupportedFormat, match="GIF"):
        decode_image(gif)
    with pytest.raises(UnsupportedFormat):
        decode_image(b"hello, this is text, not a picture")
    with pytest.raises(UnsupportedFormat):
        decode_image(12345)  # type: ignore[arg-type]


def test_every_message_is_a_notice_with_a_code_for_translation(xray, tmp_path):
    """Apps translate by code (cxr.inference.notices); the English text stays the message."""
    import pickle

    from cxr.inference import ImageError, Notice

    cases = {
        b"": "empty_file",
        encode(Image.new("L", (80, 80), 128), "GIF"): "format_not_supported",
        b"hello, this is text, not a picture": "not_an_image",
        png_declaring(60_000, 60_000): "too_many_pixels_sized",
        encode(Image.fromarray(xray), "PNG")[:200]: "damaged_file",
        tmp_path / "missing.png": "cannot_read_file",
    }
    for source, code in cases.items():
        with pytest.raises(ImageError) as info:
            decode_image(source)
        message = info.value.message
        assert isinstance(message, Notice) and message.code == code, (code, message)
        assert pickle.loads(pickle.dumps(message)).params == message.params

    first, second = Image.fromarray(xray), Image.fromarray(255 - xray)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])
    (warning,) = decode_image(buffer.getvalue()).warnings
    assert (warning.code, warning.params) == ("extra_frames", {"frames": 2})
    assert warning == "The file holds 2 pictures; only the first was read."


def test_a_long_decoder_message_is_cut_between_words_and_marked():
    from cxr.inference.decode import _short

    long = ("The number of bytes of pixel data is less than expected (261761 vs 524288 bytes) - the "
            "dataset may be corrupted, have an invalid group 0028 element value, or the transfer "
            "syntax may be incorrect")
    text = _short(ValueError(long))
    assert len(text) <= 161 and text.endswith("…")
    assert long.startswith(text[:-1]) and long[len(text) - 1] == " "  # a whole word before the cut
    assert _short(ValueError("short message")) == "short message"


def test_a_jpeg_compressed_harder_than_the_training_images_says_so(xray, xray_paths):
    """The training JPEGs were saved at quality 90 (all of raddb's in ../shared); a stronger
    compression is named, with its estimated quality, and the original asked for."""
    from cxr.inference.decode import JPEG_QUALITY_OF_TRAINING, jpeg_quality

    for quality in (60, 75, 89, 90, 95):
        buffer = io.BytesIO()
        Image.fromarray(xray).save(buffer, "JPEG", quality=quality)
        assert jpeg_quality(Image.open(io.BytesIO(buffer.getvalue()))) == quality
        codes = [w.code for w in decode_image(buffer.getvalue()).warnings]
        assert ("jpeg_strongly_compressed" in codes) == (quality < JPEG_QUALITY_OF_TRAINING)
    buffer = io.BytesIO()
    Image.fromarray(xray).save(buffer, "JPEG", quality=75)
    [notice] = decode_image(buffer.getvalue()).warnings
    assert "quality about 75" in notice and "original DICOM or PNG" in notice
    training_jpegs = [path for paths in xray_paths.values() for path in paths if path.suffix == ".jpg"][:6]
    assert training_jpegs
    for path in training_jpegs:
        assert "jpeg_strongly_compressed" not in [w.code for w in decode_image(path).warnings]


def test_decoded_bytes_are_read_from_the_header_alone():
    """What a server asks before deciding to read a file one at a time: the declared pixels'
    bytes, from the first megabyte, whatever the file's own size."""
    from cxr.inference.decode import decoded_bytes
    from tests.support.hostile_corpus import dicom_bytes

    def png(mode: str, size: tuple[int, int]) -> bytes:
        buffer = io.BytesIO()
        Image.new(mode, size).save(buffer, "PNG", optimize=True)
        return buffer.getvalue()

    rgba = png("RGBA", (7000, 5000))
    assert len(rgba) < 200_000 and decoded_bytes(rgba[:1 << 20]) == 7000 * 5000 * 4
    assert decoded_bytes(png("L", (300, 200))) == 300 * 200
    assert decoded_bytes(png("I;16", (300, 200))) == 300 * 200 * 2
    twelve_bit = dicom_bytes(np.zeros((40, 30), np.uint16), BitsAllocated=16, BitsStored=12)
    assert decoded_bytes(twelve_bit[:1 << 20]) == 40 * 30 * 2
    assert decoded_bytes(b"not an image at all") is None
    assert decoded_bytes(rgba[:20]) is None  # cut before its size
