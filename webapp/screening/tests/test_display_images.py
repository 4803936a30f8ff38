"""The stored display images of an upload: the same pixels as the recipe they always had (issue 21
changed how they are encoded and when they are made, not what they show), and a heat map that
lies where the model's class activation map puts it on the X-ray.

Uploads go through the upload page (the display copies are made on a second core while the
model runs) with the served model, on small real X-rays and on full-size copies of them made by
cxr/data/fullsize.py (2,000 px PNG, 3,000 px DICOM; the full_size_xray fixture).
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from webapp.screening import imaging, storage
from webapp.screening.models import Reading

CAM_CELLS = 7  # the bundled model's activation map is 7 x 7: the heat map's real resolution


def recipe_display(gray: np.ndarray, side: int) -> np.ndarray:
    """The display copies' pixels as stored since the first release: Pillow's thumbnail with
    bilinear filtering and a reducing gap of 2 (the X-ray at 1,024 px, the thumbnail at 256)."""
    img = Image.fromarray(gray)
    if max(img.size) > side:
        img.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(img)


def recipe_heat_levels(heat: np.ndarray, image_shape: tuple[int, int], side: int) -> np.ndarray:
    """The stored heat map's alpha (= heat level) as made since the first release."""
    height, width = image_shape
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(np.asarray(heat, np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
    return (np.clip(np.asarray(resized, np.float32), 0, 1) * 255).round().astype(np.uint8)


def stored(reading: Reading, relative: str) -> Image.Image:
    data = storage.absolute_path(relative).read_bytes()
    assert data.startswith(b"\x89PNG"), relative
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.fixture
def upload(patient_client, patient, model_dir, media_root):
    """upload(name, data) -> (the stored Reading, the prediction of the same bytes by the
    predictor that read the upload). Not a second Predictor.load: with another ONNX Runtime
    thread count (CXR_ORT_THREADS) its sums differ by 1e-7, and a few heat levels by one."""
    from webapp.screening.engine import get_predictor

    predictor = get_predictor()

    def send(name: str, data: bytes):
        response = patient_client.post("/screening/upload/", {"image": io_file(name, data)})
        assert response.status_code == 302, response.content[:500]
        reading = Reading.objects.filter(owner=patient).latest("pk")
        return reading, predictor.predict(data)

    return send


def io_file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def full_size_inputs(full_size_xray) -> list[tuple[str, bytes]]:
    source, png = full_size_xray("png8", 1)  # a 512 x 392 X-ray: not square, so both axes count
    return [(f"{source.stem}-2000.png", png), (f"{source.stem}-3000.dcm", full_size_xray("dicom", 1)[1])]


def check_display_images(reading: Reading, prediction) -> None:
    gray = prediction.image
    original = stored(reading, reading.original_path)
    np.testing.assert_array_equal(np.asarray(original), recipe_display(gray, 1024))
    thumbnail = stored(reading, reading.thumbnail_path)
    np.testing.assert_array_equal(np.asarray(thumbnail), recipe_display(gray, imaging.THUMBNAIL_SIDE))
    heat = stored(reading, reading.heatmap_path)
    assert heat.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(heat)[..., 3],
                                  recipe_heat_levels(prediction.heatmap, gray.shape, storage.HEATMAP_MAX_SIDE))
    # the library's picture of the same prediction, pixel for pixel (cxr.inference.rendering)
    assert storage.absolute_path(reading.heatmap_path).read_bytes() == prediction.heatmap_png(storage.HEATMAP_MAX_SIDE)


def check_heat_map_aligned(reading: Reading, prediction) -> None:
    """The stored heat map has the X-ray's aspect ratio, and drawn over the stored X-ray (as the
    page does, stretched to its size) its hottest point is where the model's map has it."""
    original = stored(reading, reading.original_path)
    heat = stored(reading, reading.heatmap_path)
    width, height = original.size
    assert abs(heat.width / heat.height - width / height) < 2 / min(heat.size)
    drawn = np.asarray(heat.resize(original.size, Image.Resampling.BILINEAR), np.float32)[..., 3]
    expected = prediction.heatmap_at(original.size)
    y, x = np.unravel_index(np.argmax(drawn), drawn.shape)
    ey, ex = np.unravel_index(np.argmax(expected), expected.shape)
    assert abs(x - ex) <= width / CAM_CELLS / 2 and abs(y - ey) <= height / CAM_CELLS / 2, (x, y, ex, ey)
    # and everywhere, not only at the peak: the two maps agree closely
    assert np.corrcoef(drawn.ravel(), expected.ravel())[0, 1] > 0.97


def test_small_xrays_are_stored_with_the_same_pixels_and_an_aligned_heat_map(upload, xray_paths):
    for label in ("covid", "normal", "pneumonia"):
        path = next(p for p in xray_paths[label] if p.suffix == ".png")
        reading, prediction = upload(path.name, path.read_bytes())
        assert (reading.image_width, reading.image_height) == prediction.image.shape[::-1]
        check_display_images(reading, prediction)
        check_heat_map_aligned(reading, prediction)


@pytest.mark.slow
def test_full_size_xrays_are_stored_with_the_same_pixels_and_an_aligned_heat_map(upload, full_size_xray):
    for name, data in full_size_inputs(full_size_xray):
        reading, prediction = upload(name, data)
        assert max(prediction.image.shape) in (2000, 3000)
        assert max(stored(reading, reading.original_path).size) == 1024
        check_display_images(reading, prediction)
        check_heat_map_aligned(reading, prediction)


def test_display_files_started_gives_the_same_files_and_falls_back_when_not_started(xray_paths):
    gray = np.asarray(Image.open(xray_paths["normal"][0]).convert("L"))
    made_here = imaging.display_files(gray)
    with imaging.display_files_started(gray):
        assert imaging.display_files(gray) == made_here
    with imaging.display_files_started(gray):
        other = gray.copy()  # another array (an image turned the right way up): made here
        assert imaging.display_files(other) == made_here
    assert made_here[0] == imaging.display_png(gray) and made_here[1] == imaging.thumbnail_png(gray)
