"""Where the lungs are, and how much of a reading's heat map lies on them (torch-free).

`lung_field.onnx` beside the model is a small segmenter trained on the lung outlines of
../shared (cxr.training.lung_field; `python -m cxr lung-field`). It reads the image the
classifier read (the served square, uint8) and returns per pixel the probability of "lung".
A heat map whose mass lies mostly off the lungs means the reading rests on something else
(borders, text, the mediastinum, a child's outline): the app warns, with the card's numbers on
how such readings did out of source.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

LUNG_FIELD_FILE = "lung_field.onnx"
LUNG_PROBABILITY = 0.5  # a pixel is lung above this


class LungField:
    """The ONNX segmenter; thread-safe like the predictor (no per-call state)."""

    def __init__(self, session, size: int):
        self.session = session
        self.size = size

    @classmethod
    def load(cls, path: str | Path, threads: int = 1) -> LungField:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep (as the classifier's session): spinning holds a core after each run.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(path), sess_options=options,
                                       providers=["CPUExecutionProvider"])
        size = int(session.get_inputs()[0].shape[-1])
        return cls(session, size)

    def probabilities(self, prepared: np.ndarray) -> np.ndarray:
        """uint8 (N, S, S) served squares -> float32 (N, S, S) lung probability at the same S."""
        prepared = np.asarray(prepared)
        side = prepared.shape[-1]
        small = prepared if side == self.size else np.stack(
            [np.asarray(Image.fromarray(p).resize((self.size, self.size), Image.Resampling.BILINEAR,
                                                  reducing_gap=2.0)) for p in prepared])
        x = small[:, None].astype(np.float32) / 255.0
        (logits,) = self.session.run(None, {"input": x})
        probs = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        if side == self.size:
            return probs.astype(np.float32)
        return np.stack([np.asarray(Image.fromarray(p.astype(np.float32), mode="F").resize(
            (side, side), Image.Resampling.BILINEAR)) for p in probs]).astype(np.float32)


def load_lung_field(path: Path) -> LungField | None:
    """The segmenter at `path`, or None when the model folder has none (older models)."""
    return LungField.load(path) if path.is_file() else None


def heat_share_on_lungs(heat: np.ndarray, lung_probability: np.ndarray) -> float:
    """The fraction of a heat map's mass on lung pixels (NaN for an empty heat map).

    `heat` and `lung_probability` have the same shape (the served square)."""
    heat = np.asarray(heat, np.float64)
    mass = float(heat.sum())
    if not np.isfinite(mass) or mass <= 0:
        return float("nan")
    return float(heat[np.asarray(lung_probability) > LUNG_PROBABILITY].sum()) / mass


def lung_area(lung_probability: np.ndarray) -> float:
    """The lungs' share of the image (an even heat map would put this much on them)."""
    return float((np.asarray(lung_probability) > LUNG_PROBABILITY).mean())
