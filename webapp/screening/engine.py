"""The engine: the one cxr.inference.Predictor of this process, loaded lazily on first use.

Loading an ONNX model takes a while and a lot of memory, so every request shares one instance
(Predictor.predict is thread-safe). The lock makes concurrent first requests load it once.
A missing model is not cached: installing one later works without a restart.

A site calibration (settings.CXR_SITE_CALIBRATION, a file from `python -m cxr validate-site
--calibration-out`) is read with the model. One that cannot be used (unreadable, or fitted on
another model version) makes the model unavailable, with the reason for the administrator: the
site asked for its own calibration, so readings without it would be the wrong ones.
"""
from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_loaded: dict[tuple[str, str], object] = {}  # (model directory, site calibration file) -> Predictor


class ModelUnavailable(Exception):
    """No usable model is installed; `detail` says why, for the administrator. `reason` is the
    kind, as /healthz names it: "not_installed", "load_failed" (a damaged folder),
    "card_unreadable", "site_calibration_unusable" or "inference_missing"."""

    def __init__(self, detail: str, reason: str = "not_installed"):
        super().__init__(detail)
        self.detail = detail
        self.reason = reason

    @property
    def site_calibration_error(self):
        """The SiteCalibrationError that made screening unavailable, or None: the model is there,
        the site's calibration (CXR_SITE_CALIBRATION) cannot be used with it. Pages and the API
        say so (engine_text.site_calibration_unusable) rather than "no model is installed"."""
        return self.__cause__ if self.reason == "site_calibration_unusable" else None


def configured_model_dir() -> Path:
    """The model folder this site serves: settings.CXR_MODEL_DIR if set, else what
    cxr.inference.resolve_model_dir finds ($CXR_MODEL_DIR, else the bundled model)."""
    from cxr.inference.card import resolve_model_dir

    return resolve_model_dir(getattr(settings, "CXR_MODEL_DIR", "") or None)


def configured_site_calibration_file() -> str:
    """The site calibration file this site serves through ("" for none)."""
    return str(getattr(settings, "CXR_SITE_CALIBRATION", "") or "")


def get_predictor():
    """The shared Predictor; raises ModelUnavailable when no model can be loaded."""
    key = (str(configured_model_dir()), configured_site_calibration_file())
    predictor = _loaded.get(key)
    if predictor is not None:
        return predictor
    with _lock:
        predictor = _loaded.get(key)
        if predictor is None:
            try:
                from cxr.inference import CardError, ModelDamaged, ModelNotInstalled, Predictor
                from cxr.inference.site_calibration import SiteCalibrationError
            except ImportError as exc:  # the inference package itself is missing
                raise ModelUnavailable(f"cxr.inference cannot be imported: {exc}", "inference_missing") from exc
            try:
                predictor = Predictor.load(key[0], site_calibration=key[1] or None)
                # One synthetic picture first: a card that does not fit its network then makes the
                # model unavailable, instead of failing every upload with a 500.
                predictor.self_check()
            except ModelNotInstalled as exc:
                reason = "load_failed" if isinstance(exc, ModelDamaged) else "not_installed"
                raise ModelUnavailable(str(exc) or "no model installed", reason) from exc
            except CardError as exc:  # the guide page treats an unreadable card the same way
                raise ModelUnavailable(f"the model card cannot be read: {exc}", "card_unreadable") from exc
            except SiteCalibrationError as exc:
                raise ModelUnavailable(f"the site calibration {key[1]} cannot be used: {exc}",
                                       "site_calibration_unusable") from exc
            except Exception as exc:  # noqa: BLE001 - a damaged model file (a copy cut short)
                # onnxruntime's own errors (InvalidProtobuf, ...) crashed every gunicorn worker as
                # it started, taking the whole site down; the model is unavailable, the site is not.
                raise ModelUnavailable(f"the model in {key[0]} cannot be loaded: "
                                       f"{type(exc).__name__}: {exc}", "load_failed") from exc
            # The upload limit is the one users are told about; the decoder must not cut lower.
            predictor.max_bytes = max(predictor.max_bytes, int(settings.MAX_UPLOAD_BYTES))
            _loaded[key] = predictor
    return predictor


def load_site_calibration(card):
    """The configured site calibration for the model with `card`, or None when none is configured
    (or there is no card). Read from its file with the predictor's own check, so a page or command
    that only describes it does not load the model; raises SiteCalibrationError for one the
    predictor would refuse."""
    path = configured_site_calibration_file()
    if not path or card is None:
        return None
    from cxr.inference.site_calibration import SiteCalibration

    calibration = SiteCalibration.load(path)
    calibration.check_model(card.classes, card.served_version)
    return calibration


def site_calibration(card):
    """The site calibration readings of the model with `card` go through, or None: none
    configured, no card, or one the predictor would refuse (the screening pages then say the
    model is unavailable)."""
    from cxr.inference.site_calibration import SiteCalibrationError

    try:
        return load_site_calibration(card)
    except SiteCalibrationError:
        return None


def model_card():
    """The loaded model's card (a cxr.inference.ModelCard), or None when no model is installed."""
    try:
        return get_predictor().card
    except ModelUnavailable:
        return None
