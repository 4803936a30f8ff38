"""Typed errors of the inference engine.

Everything that can go wrong with an uploaded file surfaces as an `ImageError` subclass with a
stable `code` (for programs and translations) and a `message` a person can read. Nothing else
escapes from decoding: callers catch `ImageError` and show `message`.
"""
from __future__ import annotations


class ImageError(Exception):
    """The input could not be read as an image. `code` is stable; `message` is for people."""

    code = "image_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EmptyFile(ImageError):
    code = "empty_file"


class UnsupportedFormat(ImageError):
    code = "unsupported_format"


class CorruptImage(ImageError):
    code = "corrupt_image"


class ImageTooLarge(ImageError):
    code = "image_too_large"


class FileUnreadable(ImageError):
    """A path that does not exist or cannot be opened (the CLI's and scripts' case)."""

    code = "unreadable_file"


class ModelNotInstalled(RuntimeError):
    """No model directory with `model.onnx` and `model_card.json` was found."""
