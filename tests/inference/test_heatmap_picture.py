"""The heat map's picture (cxr.inference.rendering): the one the web app stores and users see,
also Prediction.heatmap_png's. As opaque as it is hot, from zero up (no level is cut away), and
burned into the X-ray at half strength where it is hottest."""
from __future__ import annotations

import numpy as np
from PIL import Image

from cxr.inference.cam import colourise
from cxr.inference.rendering import OVERLAY_OPACITY, heatmap_image, overlay_image


def test_the_heat_map_is_as_opaque_as_it_is_hot_and_coloured_by_heat():
    heat = np.tile(np.linspace(0.0, 1.0, 11, dtype=np.float32), (11, 1))
    rgba = np.asarray(heatmap_image(heat, (11, 11), max_side=11))
    np.testing.assert_array_equal(rgba[..., 3], (heat * 255).round().astype(np.uint8))
    np.testing.assert_array_equal(rgba[..., :3], colourise(heat))
    assert rgba[0, 1, 3] == 26  # a tenth of the peak is faintly drawn, not left clear


def test_the_heat_map_has_the_xray_shape_at_most_max_side():
    heat = np.ones((224, 224), np.float32)
    assert heatmap_image(heat, (3000, 1500), max_side=256).size == (128, 256)
    assert heatmap_image(heat, (100, 60), max_side=256).size == (60, 100)


def test_the_overlay_burns_the_hottest_part_in_at_half_strength():
    xray = Image.new("L", (8, 8), 0)
    heat = np.zeros((8, 8), np.float32)
    heat[:4] = 1.0
    out = np.asarray(overlay_image(xray, heatmap_image(heat, (8, 8), 8)), np.float32)
    hottest = colourise(np.ones((1, 1), np.float32))[0, 0].astype(np.float32)
    assert OVERLAY_OPACITY == 0.5
    np.testing.assert_allclose(out[0, 0], hottest * 127 / 255, atol=1)
    np.testing.assert_array_equal(out[7, 7], [0, 0, 0])  # cold: the X-ray as it is
