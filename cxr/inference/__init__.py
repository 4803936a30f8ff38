"""Serving side of the toolkit: decode an image, run the exported ONNX model, explain the answer.

numpy, Pillow, pydicom and onnxruntime only (no torch), so the web app stays light. See
docs/inference.md for the decisions (refusal, low confidence, heat maps) and their reasons.
"""
from cxr.inference.card import CardError, ModelCard, resolve_model_dir
from cxr.inference.decode import DecodedImage, decode_image
from cxr.inference.errors import (
    CorruptImage,
    EmptyFile,
    FileUnreadable,
    ImageError,
    ImageTooLarge,
    ModelNotInstalled,
    UnsupportedFormat,
)
from cxr.inference.notices import Notice
from cxr.inference.prediction import Prediction
from cxr.inference.predictor import Predictor

__all__ = [
    "CardError",
    "CorruptImage",
    "DecodedImage",
    "EmptyFile",
    "FileUnreadable",
    "ImageError",
    "ImageTooLarge",
    "ModelCard",
    "ModelNotInstalled",
    "Notice",
    "Prediction",
    "Predictor",
    "UnsupportedFormat",
    "decode_image",
    "resolve_model_dir",
]
