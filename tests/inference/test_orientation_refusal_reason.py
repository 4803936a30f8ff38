"""Which refusal an image refused for its orientation gets: "turned or inverted, upload it
upright" only where the picture, turned back, would pass as a chest X-ray; a document, noise or a
photo is "not a chest X-ray" whichever way up. Refused or not never changes, only the reason.
On the bundled model, real X-rays of ../shared/data/cxr and cxr.data.negatives."""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from cxr.data.negatives import build_negative_set
from cxr.inference import Predictor
from cxr.inference.card import BUNDLED_MODEL_DIR
from cxr.inference.guard.orientation import OrientationClassifier, apply_orientation

TURNED = ["rot90", "rot180", "rot270", "inverted", "inverted_rot180"]


@pytest.fixture(scope="module")
def bundled() -> Predictor:
    if not (BUNDLED_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"the bundled model is not installed ({BUNDLED_MODEL_DIR / 'model.onnx'} is missing)")
    predictor = Predictor.load(BUNDLED_MODEL_DIR)
    assert predictor.orientation is not None and predictor.verifier is not None
    return predictor


def never_sure(predictor: Predictor) -> Predictor:
    """The bundled predictor whose orientation check flags as usual but is never sure enough to
    turn a picture back: every flagged picture is refused for its orientation."""
    real = predictor.orientation
    unsure = OrientationClassifier(classes=real.classes, mean=real.mean, scale=real.scale, coef=real.coef,
                                   intercept=real.intercept, threshold=real.threshold, thumb=real.thumb,
                                   correct_above=1.1)
    return Predictor(predictor.model_dir, predictor.session, predictor.card, predictor.detector,
                     orientation=unsure, lung_field=predictor.lung_field, verifier=predictor.verifier)


def reasons(predictor: Predictor, images) -> list[str | None]:
    out = []
    for start in range(0, len(images), 16):
        out += [p.reason.code if p.rejected else None for p in predictor.predict_decoded(images[start:start + 16])]
    return out


def test_turned_real_xrays_refused_for_orientation_keep_the_upright_advice(bundled, xray_paths):
    upright = [bundled.decode(p) for label in sorted(xray_paths) for p in xray_paths[label][:3]]
    unsure = never_sure(bundled)
    codes = Counter()
    for name in TURNED:
        turned = [dataclasses.replace(d, gray=apply_orientation(d.gray, name)) for d in upright]
        codes.update(reasons(unsure, turned))
    total = len(TURNED) * len(upright)
    assert codes["not_cxr_orientation"] >= 0.9 * total, codes


def test_documents_noise_and_photos_are_not_told_to_turn_the_picture(bundled):
    negatives = []
    for item in build_negative_set():
        try:
            negatives.append(bundled.decode(item.data))
        except Exception:  # noqa: BLE001 - undecodable ones are refused before any of this
            continue
    codes = reasons(bundled, negatives)
    assert all(code is not None for code in codes)  # every one still refused
    refused_for_orientation = codes.count("not_cxr_orientation")
    assert refused_for_orientation <= 0.02 * len(codes), Counter(codes)
    assert codes.count("not_cxr_verifier") >= 0.5 * len(codes), Counter(codes)


def test_whether_an_image_is_refused_does_not_change(bundled, xray_paths, monkeypatch):
    """Only the reason may differ from the old order (orientation first, verifier after)."""
    images = [bundled.decode(p) for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    images += [dataclasses.replace(d, gray=apply_orientation(d.gray, "rot90")) for d in images[:3]]
    images += [bundled.decode(item.data) for item in build_negative_set()[::12]]
    new = reasons(bundled, images)
    monkeypatch.setattr(Predictor, "_refuse_what_is_no_xray_either_way", lambda *a: None)
    old = reasons(bundled, images)
    assert [code is None for code in new] == [code is None for code in old]
