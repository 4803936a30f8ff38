"""Class activation maps: from the model's `cam` output to a heat map a person can look at.

The ONNX model already returns, for every class, the classifier head's weights applied to the
last feature maps (CAM, Zhou et al. 2016). For a global-average-pool + linear head this equals
Grad-CAM up to a positive scale, so no gradients are needed at serving time.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

# Anchors of matplotlib's "inferno" colour map (perceptually uniform, readable when printed grey).
_INFERNO = np.array(
    [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66],
     [245, 125, 21], [250, 193, 39], [252, 255, 164]],
    dtype=np.float32,
)


def heatmap_from_cam(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One class's CAM (h, w) -> float32 (height, width) in [0, 1]; `size` is (width, height).

    Negative evidence is cut at zero and the map scaled by its maximum, so 1 marks the region
    that most raised this class's score in this image (not an absolute amount).
    """
    positive = np.maximum(np.asarray(cam, dtype=np.float32), 0.0)
    peak = float(positive.max()) if positive.size else 0.0
    if not np.isfinite(peak) or peak <= 0.0:
        return np.zeros((size[1], size[0]), np.float32)
    scaled = Image.fromarray(positive / peak, mode="F").resize(size, Image.Resampling.BICUBIC)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def _lookup_table() -> np.ndarray:
    """256 RGB colours interpolated between the anchors: colouring is then one indexing step."""
    positions = np.linspace(0.0, len(_INFERNO) - 1, 256)
    low = np.floor(positions).astype(np.int64)
    high = np.minimum(low + 1, len(_INFERNO) - 1)
    frac = (positions - low)[:, None]
    return (_INFERNO[low] * (1.0 - frac) + _INFERNO[high] * frac).round().astype(np.uint8)


_LUT = _lookup_table()


def colourise(heat: np.ndarray) -> np.ndarray:
    """float [0, 1] (H, W) -> uint8 RGB (H, W, 3) with the inferno colour map."""
    return _LUT[(np.clip(heat, 0.0, 1.0) * 255.0).round().astype(np.uint8)]


def resize_gray(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (gray.shape[1], gray.shape[0]) == size:
        return gray
    return np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
