"""Typed errors of the inference engine.

Everything that can go wrong with an uploaded file surfaces as an `ImageError` subclass with a
stable `code` (the kind of failure, for programs) and a `message` a person can read. The message
is a `Notice` (cxr.inference.notices): English text with its own finer code and parameters, for
applications that translate it. Nothing else escapes from decoding: callers catch `ImageError`
and show `message`.
"""
from __future__ import annotations


class ImageError(Exception):
    """The input could not be read as an image. `code` is stable; `message` is for people."""

    code = "image_error"

    def __init__(self, message: str):  # usually a Notice (a str with a code)
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


class ModelDamaged(ModelNotInstalled):
    """The model folder is there but cannot be used as its card describes it: a part the card
    names is missing, or the card does not fit the network. Served as no model at all: serving
    without the part would switch off part of the image check while every page still describes
    it, and a card that does not fit the network fails every reading."""

    def __init__(self, folder, problem: str):
        super().__init__(f"the model folder {folder} cannot be used: {problem} (copy the whole folder "
                         "again from where it came, or export it again)")
        self.problem = problem
