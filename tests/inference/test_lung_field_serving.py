"""The served lung field and chest X-ray verifier on real images (models/bundled).

- the segmenter outlines lungs close to the annotated masks of ../shared, and finds two lungs of a
  plausible size on adult films it has no outlines for;
- the verifier refuses pictures that keep X-ray texture (a screen photo, a part of a film) and
  reads whole X-rays;
- the heat-map warning follows the card's `lung_field` section: off when the segmenter did not
  meet its criterion, and when on, given exactly to readings below `warn_below`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxr.data.hard_negatives import partial_view, screen_photo
from cxr.evaluation.heatmap_check import MASK_INDEX
from cxr.evaluation.lung_field import dice_scores
from cxr.inference import Predictor
from cxr.inference.card import LungFieldCheck
from cxr.inference.decode import decode_image
from cxr.inference.guard.verifier import VERIFIER_FILE
from cxr.inference.lung_field import LUNG_FIELD_FILE, heat_share_on_lungs, lung_area
from cxr.preprocess import prepare_gray


@pytest.fixture(scope="module")
def predictor(served_model_dir):
    if not (served_model_dir / LUNG_FIELD_FILE).is_file():
        pytest.skip(f"{served_model_dir} has no {LUNG_FIELD_FILE} (python -m cxr lung-field)")
    return Predictor.load(served_model_dir, threads=1)


def test_segmenter_matches_annotated_lungs(predictor, cxr_dir):
    from PIL import Image

    index = pd.read_csv(cxr_dir / MASK_INDEX).iloc[::40]  # 12 of 466, both sources
    size = predictor.lung_field.size
    images = np.stack([prepare_gray(decode_image(cxr_dir / p).gray, size) for p in index["image"]])
    masks = np.stack([np.asarray(Image.open(cxr_dir / m).convert("L").resize((size, size), Image.Resampling.NEAREST))
                      for m in index["mask"]])
    dice = dice_scores(predictor.lung_field.probabilities(images), masks)
    assert dice.mean() > 0.85, dice.round(2)


def test_segmenter_finds_two_lungs_on_adult_films(predictor, xray_paths):
    films = [p for p in xray_paths["normal"] if p.name.startswith(("darkcovidnet", "raddb"))][:4]
    assert films
    prepared = np.stack([prepare_gray(decode_image(p).gray, predictor.input_size) for p in films])
    for lungs in predictor.lung_field.probabilities(prepared):
        assert 0.15 < lung_area(lungs) < 0.6
        half = lungs.shape[1] // 2
        assert lung_area(lungs[:, :half]) > 0.1 and lung_area(lungs[:, half:]) > 0.1


def test_verifier_refuses_screen_photos_and_parts_and_reads_whole_films(predictor, served_model_dir, xray_paths):
    if not (served_model_dir / VERIFIER_FILE).is_file():
        pytest.skip(f"{served_model_dir} has no {VERIFIER_FILE}")
    films = [p for label in ("normal", "covid") for p in xray_paths[label]][:8]
    grays = [decode_image(p).gray for p in films]
    whole = predictor.predict_batch(films)
    assert sum(p.rejected for p in whole) <= 1, [p.reason for p in whole]
    rng = np.random.default_rng(7)
    photos = predictor.predict_batch([screen_photo(g, rng) for g in grays])
    parts = predictor.predict_batch([partial_view(g, rng) for g in grays])
    assert sum(p.rejected for p in photos) >= 7, [getattr(p.reason, "code", None) for p in photos]
    assert sum(p.rejected for p in parts) >= 6, [getattr(p.reason, "code", None) for p in parts]
    assert all(p.label is None for p in photos + parts if p.rejected)


def _with_check(predictor: Predictor, warn_below: float | None) -> Predictor:
    measured = {"all": {"accuracy_off_lungs": {"value": 0.4}, "accuracy_on_lungs": {"value": 0.7}}}
    card = predictor.card.replace(lung_field=LungFieldCheck(reliable=True, warn_below=warn_below,
                                                            out_of_source=measured))
    return Predictor(predictor.model_dir, predictor.session, card, predictor.detector,
                     orientation=predictor.orientation, lung_field=predictor.lung_field,
                     verifier=predictor.verifier)


def test_heat_map_warning_follows_the_cards_threshold(predictor, xray_paths):
    films = [p for label in ("normal", "covid", "pneumonia") for p in xray_paths[label]][:6]
    never = _with_check(predictor, None).predict_batch(films)
    assert not any(w.code == "heatmap_off_lungs" for p in never for w in p.warnings)
    always = _with_check(predictor, 1.01).predict_batch(films)
    read = [p for p in always if not p.rejected]
    assert read and all(any(w.code == "heatmap_off_lungs" for w in p.warnings) for p in read)
    warning = next(w for w in read[0].warnings if w.code == "heatmap_off_lungs")
    # The share itself: recomputed from the reading's own heat map and the segmenter.
    prepared = prepare_gray(read[0].image, predictor.input_size)
    lungs = predictor.lung_field.probabilities(prepared[None])[0]
    assert read[0].heat_on_lungs == pytest.approx(heat_share_on_lungs(read[0].heatmap, lungs), abs=1e-6)
    assert warning.params["on_lungs_percent"] == round(100 * read[0].heat_on_lungs)


def test_a_card_without_a_measured_check_gives_no_warning(predictor):
    card = predictor.card.replace(lung_field=LungFieldCheck(reliable=False, warn_below=None))
    plain = Predictor(predictor.model_dir, predictor.session, card, predictor.detector,
                      lung_field=predictor.lung_field)
    assert plain.lung_check is None
