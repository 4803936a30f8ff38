"""Hard negatives for the verifier (cxr.data.hard_negatives): real X-rays made unusable, seeded."""
import io

import numpy as np
import pytest
from PIL import Image

from cxr.data.hard_negatives import XRAY_FAMILIES, build_hard_negatives
from cxr.inference.decode import decode_image


@pytest.fixture(scope="module")
def xrays(cxr_dir):
    files = sorted((cxr_dir / "images" / "normal").glob("darkcovidnet__*"))[:3]
    return [decode_image(f).gray for f in files]


def test_every_family_decodes_and_is_deterministic(xrays):
    first = build_hard_negatives(xrays, per_family=4, seed=3)
    again = build_hard_negatives(xrays, per_family=4, seed=3)
    assert [n.data for n in first] == [n.data for n in again]
    families = {n.family for n in first}
    assert families == set(XRAY_FAMILIES) | {"pictures"}
    for item in first:
        assert decode_image(item.data).gray.ndim == 2, item.name


def test_partial_views_are_smaller_than_the_film_and_screen_photos_bigger(xrays):
    rng = np.random.default_rng(0)
    h, w = xrays[0].shape
    for _ in range(10):
        crop = Image.open(io.BytesIO(XRAY_FAMILIES["partial_view"](xrays[0], rng)))
        # a part: at most about half of the film in one direction (doubled when tiny)
        assert min(crop.width / w, crop.height / h) <= 0.56 or max(crop.size) < 2 * 96
    photo = Image.open(io.BytesIO(XRAY_FAMILIES["screen_photo"](xrays[0], rng)))
    assert photo.format == "JPEG" and max(photo.size) == 960


def test_film_photos_show_a_lit_panel_around_a_slanted_film(xrays):
    rng = np.random.default_rng(1)
    for _ in range(8):
        photo = Image.open(io.BytesIO(XRAY_FAMILIES["film_photo"](xrays[0], rng)))
        assert photo.format == "JPEG" and sorted(photo.size) == [720, 960]
        grey = np.asarray(photo.convert("L"), np.float32)
        ring = np.concatenate([grey[:20].ravel(), grey[-20:].ravel(), grey[:, :20].ravel(), grey[:, -20:].ravel()])
        assert ring.mean() > 90  # the backlight, not a dark room or the film's own edge


def test_collages_hold_several_tiles_on_a_plain_page(xrays):
    rng = np.random.default_rng(2)
    for _ in range(8):
        page = np.asarray(Image.open(io.BytesIO(XRAY_FAMILIES["collage"](xrays[1], rng))).convert("L"), np.float32)
        assert page.shape[1] >= 2 * 220  # at least two tiles side by side
        assert page[:4].std() < 4  # the top gutter: the page's plain background


def test_table_photos_show_an_unlit_surface_around_a_sheet_or_the_sheet_trimmed(xrays):
    rng = np.random.default_rng(4)
    framed = trimmed = 0
    for _ in range(12):
        photo = Image.open(io.BytesIO(XRAY_FAMILIES["table_photo"](xrays[2], rng)))
        assert photo.format == "JPEG"
        if sorted(photo.size) != [720, 960]:  # trimmed to the sheet before upload
            trimmed += 1
            assert max(photo.size) < 960
            continue
        framed += 1
        grey = np.asarray(photo.convert("L"), np.float32)
        ring = np.concatenate([grey[:20].ravel(), grey[-20:].ravel(), grey[:, :20].ravel(), grey[:, -20:].ravel()])
        assert np.median(ring) < 175  # a table or cloth, not a lit panel (film_photo's 170-250)
    assert framed and trimmed
