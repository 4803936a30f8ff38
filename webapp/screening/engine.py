"""The one cxr.inference.Predictor of this process, loaded lazily on first use.

Loading an ONNX model takes a while and a lot of memory, so every request shares one instance
(Predictor.predict is thread-safe). The lock makes concurrent first requests load it once.
A missing model is not cached: installing one later works without a restart.
"""
from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_loaded: dict[str, object] = {}  # model directory ("" = default) -> Predictor


class ModelUnavailable(Exception):
    """No usable model is installed; `detail` says why, for the administrator."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def configured_model_dir() -> str:
    """settings.CXR_MODEL_DIR, or "" for cxr.inference's default (the bundled model)."""
    return str(getattr(settings, "CXR_MODEL_DIR", "") or "")


def get_predictor():
    """The shared Predictor; raises ModelUnavailable when no model can be loaded."""
    model_dir = configured_model_dir()
    predictor = _loaded.get(model_dir)
    if predictor is not None:
        return predictor
    with _lock:
        predictor = _loaded.get(model_dir)
        if predictor is None:
            try:
                from cxr.inference import ModelNotInstalled, Predictor
            except ImportError as exc:  # the inference package itself is missing
                raise ModelUnavailable(f"cxr.inference cannot be imported: {exc}") from exc
            try:
                predictor = Predictor.load(Path(model_dir) if model_dir else None)
            except ModelNotInstalled as exc:
                raise ModelUnavailable(str(exc) or "no model installed") from exc
            # The upload limit is the one users are told about; the decoder must not cut lower.
            predictor.max_bytes = max(predictor.max_bytes, int(settings.MAX_UPLOAD_BYTES))
            _loaded[model_dir] = predictor
    return predictor


def model_card() -> dict | None:
    """The loaded model's card, or None when no model is installed."""
    try:
        return get_predictor().card
    except ModelUnavailable:
        return None
