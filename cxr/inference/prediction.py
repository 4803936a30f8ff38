"""`Prediction`: the answer of the predictor for one image, and the pictures that explain it."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cxr.inference import rendering
from cxr.inference.cam import heatmap_from_cam, resize_gray
from cxr.inference.rendering import DISPLAY_MAX_SIDE, png_bytes


@dataclass
class Prediction:
    label: str | None  # None when refused or uncertain
    probabilities: dict[str, float]  # calibrated, sum to 1 (computed even when refused)
    rejected: bool  # not a frontal chest X-ray
    reason: str | None  # a Notice (English text + code); set whenever label is None
    low_confidence: bool  # uncertain: a chest X-ray read, but no label (see `uncertain`)
    ood_score: float  # the feature guard's score; > card.ood.threshold means refused
    warnings: list[str]  # Notices
    heatmap: np.ndarray  # float32 (S, S) in [0, 1] for the predicted (or top) class
    image: np.ndarray  # uint8 (H, W) as decoded, full size (the PNGs are shrunk to DISPLAY_MAX_SIDE)
    source_format: str
    model_version: str
    heatmap_class: str = ""
    # Classes that cannot be ruled out at the card's set confidence (card.trust); None when the
    # card has no out-of-source fit.
    prediction_set: list[str] | None = None
    familiarity: float | None = None  # nearest-neighbour ratio to the training X-rays
    # The level the prediction set was fitted at (the card's trust fit or this site's calibration).
    set_confidence: float | None = None
    heat_on_lungs: float | None = None  # share of the heat map on the segmented lungs
    _cam: np.ndarray = field(default=None, repr=False)  # (h, w) raw CAM of heatmap_class

    @property
    def uncertain(self) -> bool:
        """A chest X-ray that was read but gets no label: a radiologist should read it."""
        return self.low_confidence

    def to_json(self) -> dict:
        """The CLI contract's fields (the caller adds `file`); the API and the PDF say the same."""
        return {
            "label": self.label,
            "probabilities": {name: round(float(p), 6) for name, p in self.probabilities.items()},
            "rejected": self.rejected,
            "reason": self.reason,
            "prediction_set": self.prediction_set,
            "uncertain": self.uncertain,
            "warnings": [{"code": getattr(w, "code", None), "message": str(w)} for w in self.warnings],
        }

    def display_size(self, max_side: int = DISPLAY_MAX_SIDE) -> tuple[int, int]:
        """(width, height) of the PNGs: the decoded size, shrunk to `max_side` if larger."""
        return rendering.display_size(self.image.shape, max_side)

    def image_png(self, max_side: int = DISPLAY_MAX_SIDE) -> bytes:
        return png_bytes(Image.fromarray(resize_gray(self.image, self.display_size(max_side))))

    def heatmap_png(self, max_side: int = DISPLAY_MAX_SIDE) -> bytes:
        """Transparent RGBA colour map, same size as `image_png()`: cold parts see-through. The
        web app's stored heat map is this picture at 256 px (cxr.inference.rendering)."""
        return rendering.heatmap_png(self.heatmap, self.image.shape, max_side)

    def overlay_png(self, opacity: float = rendering.OVERLAY_OPACITY, max_side: int = DISPLAY_MAX_SIDE) -> bytes:
        """The X-ray with the heat map composited on top (at most `opacity` opaque where it is
        hottest), as the web app's overlay draws it (cxr.inference.rendering.overlay_image)."""
        xray = Image.fromarray(resize_gray(self.image, self.display_size(max_side)))
        heatmap = rendering.heatmap_image(self.heatmap, self.image.shape, max_side)
        return png_bytes(rendering.overlay_image(xray, heatmap, opacity))

    def heatmap_at(self, size: tuple[int, int]) -> np.ndarray:
        """The heat map stretched to `size` (width, height), from the coarse map when there is one
        (smoother than the pictures, which stretch `heatmap`): what the heat-map check measures."""
        if self._cam is not None:
            return heatmap_from_cam(self._cam, size)  # straight from the coarse map: smoother
        scaled = Image.fromarray(self.heatmap, mode="F").resize(size, Image.Resampling.BILINEAR)
        return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)

    @property
    def cam_grid(self) -> tuple[int, int]:
        """(h, w) of the model's class activation map: the resolution the heat map really has."""
        return tuple((self._cam if self._cam is not None else self.heatmap).shape)

