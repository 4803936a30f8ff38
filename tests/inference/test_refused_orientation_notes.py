"""A picture the guard refuses carries no "it was turned back" note: the orientation check may
turn a photo before reading it ("The X-ray appeared to be turned 90 degrees clockwise; it was
turned back"), and when a later check refuses it as no chest X-ray, that note contradicted the
refusal (the CLI's JSON and the web page show the same warnings). Every other warning stays.
Real photos shipped with scikit-image, read by the bundled model with its orientation.npz."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from cxr.inference import Predictor
from cxr.inference.card import BUNDLED_MODEL_DIR
from cxr.inference.guard.orientation import ORIENTATION_FILE

CORRECTED = {"corrected_rotation", "corrected_inversion"}


@pytest.fixture(scope="module")
def bundled() -> Predictor:
    if not (BUNDLED_MODEL_DIR / ORIENTATION_FILE).is_file():
        pytest.skip(f"the bundled model with its orientation check is not installed ({BUNDLED_MODEL_DIR})")
    return Predictor.load(BUNDLED_MODEL_DIR)


def encoded(array, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("photo", ["astronaut", "camera"])
def test_a_refused_photo_gets_no_orientation_note(bundled, photo):
    data = pytest.importorskip("skimage.data")
    prediction = bundled.predict(encoded(getattr(data, photo)(), format="PNG"))
    assert prediction.rejected and prediction.label is None
    assert not {w.code for w in prediction.warnings} & CORRECTED, prediction.warnings


def test_the_other_warnings_of_a_refused_picture_stay(bundled):
    data = pytest.importorskip("skimage.data")
    prediction = bundled.predict(encoded(data.astronaut(), format="JPEG", quality=10))
    codes = {w.code for w in prediction.warnings}
    assert prediction.rejected
    assert "jpeg_strongly_compressed" in codes and not codes & CORRECTED, codes
