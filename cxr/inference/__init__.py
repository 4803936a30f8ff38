"""Serving side of the toolkit: decode an image, run the exported ONNX model, explain the answer.

numpy, Pillow, pydicom and onnxruntime only (no torch), so the web app stays light. See
docs/inference.md for the decisions (refusal, low confidence, heat maps) and their reasons.
"""
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
from cxr.inference.predictor import Predictor, default_model_dir
from cxr.inference.reading import Reading

__all__ = [
    "CorruptImage",
    "DecodedImage",
    "EmptyFile",
    "FileUnreadable",
    "ImageError",
    "ImageTooLarge",
    "ModelNotInstalled",
    "Notice",
    "Predictor",
    "Reading",
    "UnsupportedFormat",
    "decode_image",
    "default_model_dir",
]
