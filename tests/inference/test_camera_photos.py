"""A picture whose EXIF records a camera taking it (exposure time, f-number, ISO, focal length) is
a photo: of a film or a screen when it shows an X-ray, and refused as such however grey and
X-ray-like it looks (the verifier misses grey photos of films on a table,
docs/results/guard_verifier.md). Exporting or converting an X-ray writes no such tags."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxr.inference import Predictor
from cxr.inference.decode import camera_of, decode_image

EXIF_IFD, MAKE, MODEL, SOFTWARE = 0x8769, 0x010F, 0x0110, 0x0131
EXPOSURE_TIME, F_NUMBER, FOCAL_LENGTH = 0x829A, 0x829D, 0x920A


@pytest.fixture(scope="module")
def predictor(served_model_dir) -> Predictor:
    return Predictor.load(served_model_dir)


def jpeg(gray: np.ndarray, make: str | None = None, model: str | None = None, taken: bool = True,
         software: str | None = None) -> bytes:
    """`gray` as a JPEG whose EXIF names `make`/`model` and, when `taken`, records an exposure."""
    exif = Image.Exif()
    if make is not None:
        exif[MAKE] = make
    if model is not None:
        exif[MODEL] = model
    if software is not None:
        exif[SOFTWARE] = software
    if taken:
        exif.get_ifd(EXIF_IFD).update({EXPOSURE_TIME: 1 / 60, F_NUMBER: 1.6, FOCAL_LENGTH: 5.1})
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def test_the_camera_is_named_from_make_and_model_once():
    gray = np.full((80, 80), 128, np.uint8)
    assert decode_image(jpeg(gray, "Apple", "iPhone 13")).camera == "Apple iPhone 13"
    assert decode_image(jpeg(gray, "Canon", "Canon EOS 5D")).camera == "Canon EOS 5D"
    assert decode_image(jpeg(gray, "sam\x00sung ", " SM-A125F\n")).camera == "samsung SM-A125F"
    assert decode_image(jpeg(gray)).camera == ""  # taken, but by no named camera


def test_no_camera_without_a_record_of_taking_the_picture():
    gray = np.full((80, 80), 128, np.uint8)
    # A scanner or an export names its maker and software, but records no exposure.
    assert decode_image(jpeg(gray, "EPSON", "Perfection V600", taken=False, software="Epson Scan")).camera is None
    assert decode_image(jpeg(gray, taken=False)).camera is None
    plain = io.BytesIO()
    Image.fromarray(gray).save(plain, format="PNG")
    assert decode_image(plain.getvalue()).camera is None
    assert camera_of(Image.open(plain)) is None


def test_a_phone_photo_of_an_xray_is_refused_naming_the_camera(predictor, xray_paths):
    gray = decode_image(xray_paths["normal"][0]).gray
    photo = predictor.predict(jpeg(gray, "Apple", "iPhone 13"))
    assert photo.rejected and photo.label is None
    assert photo.reason.code == "not_cxr_camera_photo"
    assert photo.reason.params == {"camera": "Apple iPhone 13"}
    assert "a camera took it (Apple iPhone 13)" in photo.reason
    unnamed = predictor.predict(jpeg(gray))
    assert unnamed.rejected and unnamed.reason.code == "not_cxr_camera_photo_unnamed"


def test_the_same_xray_exported_without_a_camera_record_is_read(predictor, xray_paths):
    for path in xray_paths["normal"][:2] + xray_paths["covid"][:2]:
        gray = decode_image(path).gray
        reading = predictor.predict(jpeg(gray, "RadiAnt", "DICOM Viewer", taken=False, software="RadiAnt"))
        assert reading.reason is None or not reading.reason.code.startswith("not_cxr_camera"), path
