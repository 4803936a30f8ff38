"""The one image pipeline shared by training, evaluation and serving.

Training caches `prepare_gray` output and serving calls the same function, so a model never
sees pixels prepared differently from those it was trained on. numpy and Pillow only.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

# ImageNet statistics: the backbones are ImageNet-pretrained.
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

CONTRAST_MODES = ("none", "minmax", "equalize")


def prepare_gray(gray: np.ndarray, size: int = 224, contrast: str = "none") -> np.ndarray:
    """Resize an 8-bit grayscale image (H, W) to (size, size) uint8 and normalise its contrast.

    Resizing squashes to a square, as the paper (and the Radiography Database's own 224 px copy)
    did. `contrast`: "none"; "minmax" stretches the 0.5-99.5 percentiles to 0-255; "equalize"
    applies global histogram equalisation. Both reduce differences between hospitals' exposures.
    """
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 image, got {gray.dtype} {gray.shape}")
    if contrast not in CONTRAST_MODES:
        raise ValueError(f"unknown contrast mode {contrast!r}; choose one of {CONTRAST_MODES}")
    img = Image.fromarray(gray)
    if img.size != (size, size):
        # Reducing first with a box filter, then bilinear: fast and alias-free for big DICOMs.
        img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = np.asarray(img, dtype=np.uint8)
    if contrast == "minmax":
        lo, hi = np.percentile(out, (0.5, 99.5))
        if hi > lo:
            out = np.clip((out.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    elif contrast == "equalize":
        hist = np.bincount(out.ravel(), minlength=256)
        cdf = hist.cumsum()
        nonzero = cdf[cdf > 0]
        if nonzero.size and cdf[-1] > nonzero[0]:
            lut = np.round((cdf - nonzero[0]) * 255.0 / (cdf[-1] - nonzero[0])).clip(0, 255)
            out = lut.astype(np.uint8)[out]
    return np.ascontiguousarray(out)


def to_tensor_layout(gray_batch: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, 3, H, W), ImageNet-normalised (gray copied to 3 channels)."""
    x = gray_batch.astype(np.float32) / 255.0
    x = np.repeat(x[:, None, :, :], 3, axis=1)
    return (x - IMAGENET_MEAN[None, :, None, None]) / IMAGENET_STD[None, :, None, None]
