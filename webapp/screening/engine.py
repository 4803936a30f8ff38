"""The engine: the one cxr.inference.Predictor of this process, loaded lazily on first use.

Loading an ONNX model takes a while and a lot of memory, so every request shares one instance
(Predictor.predict is thread-safe). The lock makes concurrent first requests load it once.
A missing model is not cached: installing one later works without a restart.
"""
from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_loaded: dict[str, object] = {}  # model directory -> Predictor


class ModelUnavailable(Exception):
    """No usable model is installed; `detail` says why, for the administrator."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def configured_model_dir() -> Path:
    """The model folder this site serves: settings.CXR_MODEL_DIR if set, else what
    cxr.inference.resolve_model_dir finds ($CXR_MODEL_DIR, else the bundled model)."""
    from cxr.inference.card import resolve_model_dir

    return resolve_model_dir(getattr(settings, "CXR_MODEL_DIR", "") or None)


def get_predictor():
    """The shared Predictor; raises ModelUnavailable when no model can be loaded."""
    model_dir = str(configured_model_dir())
    predictor = _loaded.get(model_dir)
    if predictor is not None:
        return predictor
    with _lock:
        predictor = _loaded.get(model_dir)
        if predictor is None:
            try:
                from cxr.inference import CardError, ModelNotInstalled, Predictor
            except ImportError as exc:  # the inference package itself is missing
                raise ModelUnavailable(f"cxr.inference cannot be imported: {exc}") from exc
            try:
                predictor = Predictor.load(model_dir)
            except ModelNotInstalled as exc:
                raise ModelUnavailable(str(exc) or "no model installed") from exc
            except CardError as exc:  # the guide page treats an unreadable card the same way
                raise ModelUnavailable(f"the model card cannot be read: {exc}") from exc
            # The upload limit is the one users are told about; the decoder must not cut lower.
            predictor.max_bytes = max(predictor.max_bytes, int(settings.MAX_UPLOAD_BYTES))
            _loaded[model_dir] = predictor
    return predictor


def model_card():
    """The loaded model's card (a cxr.inference.ModelCard), or None when no model is installed."""
    try:
        return get_predictor().card
    except ModelUnavailable:
        return None
