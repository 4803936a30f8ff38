"""Serving side of the toolkit: decode an image, run the exported ONNX model, explain the answer.

numpy, Pillow, pydicom (with python-gdcm for compressed DICOM), onnxruntime and isal (the stored
display PNGs' deflate) only, no torch, so the web app stays light. See
docs/inference.md for the decisions (refusal, low confidence, heat maps) and their reasons.
"""
import os

# onnxruntime (1.32 and later) keeps a device id and queued telemetry events under
# ~/.cache/Microsoft/DeveloperTools/.onnxruntime for every process that imports it, unless this is
# set before the import (onnxruntime's Privacy.md; `disable_telemetry_events()` comes too late).
# Set here, before any part of the engine can import it, so neither the CLI nor the web app
# leaves anything there; a value already set in the environment is kept.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from cxr.inference.card import CardError, ModelCard, resolve_model_dir  # noqa: E402
from cxr.inference.decode import DecodedImage, decode_image  # noqa: E402
from cxr.inference.errors import (  # noqa: E402
    CorruptImage,
    EmptyFile,
    FileUnreadable,
    ImageError,
    ImageTooLarge,
    ModelDamaged,
    ModelNotInstalled,
    UnsupportedFormat,
)
from cxr.inference.notices import Notice  # noqa: E402
from cxr.inference.prediction import Prediction  # noqa: E402
from cxr.inference.predictor import Predictor  # noqa: E402

__all__ = [
    "CardError",
    "CorruptImage",
    "DecodedImage",
    "EmptyFile",
    "FileUnreadable",
    "ImageError",
    "ImageTooLarge",
    "ModelCard",
    "ModelDamaged",
    "ModelNotInstalled",
    "Notice",
    "Prediction",
    "Predictor",
    "UnsupportedFormat",
    "decode_image",
    "resolve_model_dir",
]
