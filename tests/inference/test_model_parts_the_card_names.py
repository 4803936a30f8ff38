"""A model folder that lacks a part its card describes cannot be used (operator audit, finding A).

Without `lung_field.onnx` the predictor silently dropped the lung field and with it the verifier
("is this a whole chest X-ray?"); without `verifier.npz` or `orientation.npz` that check alone;
every check still said all was well and readings kept the same model version. Real parts: the
bundled model, copied into temporary folders, and real X-rays of ../shared.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from cxr.inference import ModelCard, ModelNotInstalled, Predictor
from cxr.inference.card import BUNDLED_MODEL_DIR
from cxr.inference.guard.orientation import ORIENTATION_FILE
from cxr.inference.guard.verifier import VERIFIER_FILE
from cxr.inference.lung_field import LUNG_FIELD_FILE

# A real COVID-19 X-ray whose bottom two-thirds the bundled verifier refuses (no whole chest).
CROPPED_XRAY = "images/covid/raddb__COVID_COVID-1921.png"
PARTS = (LUNG_FIELD_FILE, VERIFIER_FILE, ORIENTATION_FILE)


@pytest.fixture(scope="module")
def bundled() -> Path:
    for name in ("model.onnx", *PARTS):
        if not (BUNDLED_MODEL_DIR / name).is_file():
            pytest.skip(f"the bundled model is not installed with its parts ({BUNDLED_MODEL_DIR / name} is missing)")
    return BUNDLED_MODEL_DIR


def copy_without(bundled: Path, folder: Path, *missing: str) -> Path:
    """A copy of the bundled folder (its files linked, the card copied) without `missing`."""
    folder.mkdir()
    for path in bundled.iterdir():
        if path.name == "model_card.json":
            shutil.copyfile(path, folder / path.name)
        elif path.name not in missing:
            (folder / path.name).symlink_to(path)
    return folder


@pytest.mark.parametrize("missing", PARTS)
def test_a_part_the_card_describes_missing_makes_the_folder_unusable(bundled, tmp_path, missing):
    folder = copy_without(bundled, tmp_path / "model", missing)
    with pytest.raises(ModelNotInstalled) as raised:  # as a missing model.onnx is (ModelDamaged)
        Predictor.load(folder)
    message = str(raised.value)
    assert message.startswith(f"the model folder {folder} cannot be used: ") and missing in message


def test_the_cropped_xray_is_refused_not_read_without_the_lung_field(bundled, cxr_dir, tmp_path):
    """What the audit saw: the bottom two-thirds of a real X-ray, refused by the whole folder,
    was read "COVID-19 99.6%" without the lung field. Now that folder reads nothing."""
    with Image.open(cxr_dir / CROPPED_XRAY) as image:
        width, height = image.size
        buffer = io.BytesIO()
        image.crop((0, height // 3, width, height)).save(buffer, format="PNG")
    cropped = buffer.getvalue()
    whole = Predictor.load(bundled, threads=1).predict(cropped)
    assert whole.rejected and whole.reason.code == "not_cxr_verifier"
    with pytest.raises(ModelNotInstalled, match=LUNG_FIELD_FILE):
        Predictor.load(copy_without(bundled, tmp_path / "model", LUNG_FIELD_FILE), threads=1)


def test_a_card_that_never_had_the_parts_still_serves_without_them(bundled, tmp_path):
    """Older models (and the tiny test model) have no lung_field or verifier section."""
    folder = copy_without(bundled, tmp_path / "model", *PARTS)
    ModelCard.load(bundled).replace(lung_field=None, verifier=None).write(folder)
    predictor = Predictor.load(folder, threads=1)
    assert predictor.lung_field is None and predictor.verifier is None and predictor.orientation is None


def test_a_lung_field_section_alone_needs_only_the_lung_field(bundled, tmp_path):
    folder = copy_without(bundled, tmp_path / "model", VERIFIER_FILE, ORIENTATION_FILE)
    ModelCard.load(bundled).replace(verifier=None).write(folder)
    predictor = Predictor.load(folder, threads=1)
    assert predictor.lung_field is not None and predictor.verifier is None


def test_a_section_that_names_no_file_asks_for_none(bundled, tmp_path):
    """A card section may carry measurements alone (a hand-made card, a test's): only a section
    that names its file says the model has that part."""
    folder = copy_without(bundled, tmp_path / "model", *PARTS)
    card = ModelCard.load(bundled)
    card.replace(lung_field=card.lung_field.replace(file=None),
                 verifier=card.verifier.replace(file=None)).write(folder)
    predictor = Predictor.load(folder, threads=1)
    assert predictor.lung_field is None and predictor.verifier is None


def test_the_parts_are_read_from_the_files_the_card_names(bundled, tmp_path):
    folder = copy_without(bundled, tmp_path / "model", LUNG_FIELD_FILE)
    (folder / "segmenter.onnx").symlink_to(bundled / LUNG_FIELD_FILE)
    card = ModelCard.load(bundled)
    card.replace(lung_field=card.lung_field.replace(file="segmenter.onnx")).write(folder)
    predictor = Predictor.load(folder, threads=1)
    assert predictor.lung_field is not None and predictor.verifier is not None
