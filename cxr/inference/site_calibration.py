"""A site's own calibration: what its labelled X-rays set for its next readings.

Fitted on other collections, prediction sets and abstention do not transfer to a hospital the
model never saw (docs/results/trustworthy_readings.md); fitted on a site's own labelled X-rays,
the 90% sets covered 0.90-0.98 of each held-out collection's other X-rays
(docs/results/local_calibration.md). `python -m cxr validate-site ... --calibration-out FILE`
fits one (cxr.evaluation.local_calibration.fit_site_calibration) on the served model's readings of
the site's cases and writes it as JSON; the CLI (`predict --site-calibration FILE`) and the web
app (`CXR_SITE_CALIBRATION`) then read every X-ray through it:

- the probabilities are rescaled per class: softmax(log p * scale + bias), which can learn the
  site's class mix and a class the model over-calls there, not a distinction it cannot make;
- the prediction set holds every class not ruled out at the stated level (class-conditional split
  conformal thresholds, as the card's `trust` section carries them);
- a label is given only above the top probability at which, with 90% confidence, labels are
  right at the target on X-rays like the site's calibration cases (a lower bound, not the accuracy
  seen: cxr.evaluation.selective), and only when the set keeps that class; otherwise (or always,
  when no threshold could promise the target) the reading is "Uncertain: a radiologist should
  read this".

A calibration belongs to one model: it is refused for another model version or class list.
numpy only: fitting needs the evaluation side, serving does not.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cxr.inference.abstention import prediction_sets
from cxr.inference.card import is_number

FORMAT_VERSION = 1


def log_probabilities(probs: np.ndarray) -> np.ndarray:
    """The served probabilities as logits: their logs differ from the network's logits by a
    constant per image, which no softmax sees (clipped so that a 0 stays finite)."""
    return np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0))


class SiteCalibrationError(ValueError):
    """A calibration file that cannot be used with this model (or cannot be read at all).
    `code` says which, for applications that word it themselves: "other_model" or
    "other_classes" (fitted for another model; `params` has `fitted` and `installed`), else
    "unusable" (unreadable, or not a site calibration)."""

    def __init__(self, message: str, code: str = "unusable", params: dict | None = None):
        super().__init__(message)
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class SiteCalibration:
    """Per-class scale and bias, conformal thresholds and the label threshold of one site."""

    classes: list[str]
    model_version: str
    scale: list[float]
    bias: list[float]
    set_confidence: float
    set_thresholds: list[float | None]  # None: too few cases of the class to rule it out
    label_threshold: float | None  # top probability a label needs; None: no label is given
    target_accuracy: float
    cases: int  # labelled X-rays it was fitted on (half for the scaling, half for the rest)
    cases_by_class: dict[str, int]
    fitted_at: str  # ISO date
    site: str = ""
    # What the same procedure gave on held-out halves of these cases (means over random halves,
    # cxr.evaluation.local_calibration.site_what_if): the figures a reading may quote.
    measured: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A file edited by hand (or by a broken tool) must be refused when it is loaded, with
        # the field named, not accepted and then fail inside the first reading.
        n = len(self.classes) if isinstance(self.classes, list) else 0
        if n < 2 or not all(isinstance(c, str) and c for c in self.classes) \
                or len(set(self.classes)) != n:
            raise SiteCalibrationError("a site calibration's classes must be two or more "
                                       "different names")
        for name in ("scale", "bias", "set_thresholds"):
            if not isinstance(getattr(self, name), list) or len(getattr(self, name)) != n:
                raise SiteCalibrationError("a site calibration needs one scale, bias and set "
                                           "threshold per class")
        if not all(is_number(v) and math.isfinite(v) for v in (*self.scale, *self.bias)):
            raise SiteCalibrationError("a site calibration's scales and biases must be finite numbers")
        for name, value, lowest, highest in (("set_confidence", self.set_confidence, 0, 1),
                                             ("target_accuracy", self.target_accuracy, 0, 1)):
            if not (is_number(value) and lowest < value <= highest):
                raise SiteCalibrationError(f"a site calibration's {name} must be a number in "
                                           f"({lowest}, {highest}], not {value!r}")
        for name, values in (("set_thresholds", self.set_thresholds),
                             ("label_threshold", [self.label_threshold])):
            if not all(v is None or (is_number(v) and 0 <= v <= 1) for v in values):
                raise SiteCalibrationError(f"a site calibration's {name} must be numbers from 0 "
                                           f"to 1 or null, not {values!r}")
        if not (isinstance(self.cases, int) and not isinstance(self.cases, bool) and self.cases >= 0
                and isinstance(self.cases_by_class, dict)
                and all(isinstance(v, int) and v >= 0 for v in self.cases_by_class.values())):
            raise SiteCalibrationError("a site calibration's cases must be counts")
        if not all(isinstance(v, str) for v in (self.model_version, self.fitted_at, self.site)):
            raise SiteCalibrationError("a site calibration's model_version, fitted_at and site "
                                       "must be text")
        accuracy = (self.measured or {}).get("labelled_accuracy") if isinstance(
            self.measured, dict) else "?"
        if not (accuracy is None or (isinstance(accuracy, dict) and (
                accuracy.get("mean") is None or is_number(accuracy["mean"])))):
            raise SiteCalibrationError("a site calibration's measured figures are malformed")

    # --- serving ------------------------------------------------------------------------------

    def probabilities(self, probs: np.ndarray) -> np.ndarray:
        """The served model's probabilities (..., C) as this site's calibrated ones."""
        z = log_probabilities(probs) * np.asarray(self.scale) + np.asarray(self.bias)
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def in_set(self, calibrated: np.ndarray) -> np.ndarray:
        """Boolean (N, C): the classes not ruled out at `set_confidence`."""
        return prediction_sets(np.atleast_2d(calibrated), self.set_thresholds)

    def labels(self, calibrated: np.ndarray) -> np.ndarray:
        """Boolean (N,): whether each reading gets a label: its top probability reaches the
        threshold and its top class is in its prediction set (class-conditional sets can rule
        out the top class, or every class; a label must never contradict the set shown with it)."""
        calibrated = np.atleast_2d(calibrated)
        if self.label_threshold is None:
            return np.zeros(len(calibrated), dtype=bool)
        top = calibrated.argmax(axis=1)
        in_own_set = self.in_set(calibrated)[np.arange(len(calibrated)), top]
        return (calibrated.max(axis=1) >= self.label_threshold) & in_own_set

    def check_model(self, classes: list[str], model_version: str) -> None:
        """Raise SiteCalibrationError unless this calibration was fitted on this model."""
        if list(classes) != list(self.classes):
            raise SiteCalibrationError(f"the site calibration is for the classes {self.classes}, "
                                       f"this model has {list(classes)}", "other_classes",
                                       {"fitted": list(self.classes), "installed": list(classes)})
        if str(model_version) != str(self.model_version):
            raise SiteCalibrationError(
                f"the site calibration was fitted on model {self.model_version}'s readings, and this is "
                f"model {model_version}: run `python -m cxr validate-site ... --calibration-out` again",
                "other_model", {"fitted": str(self.model_version), "installed": str(model_version)})

    @property
    def labelled_accuracy(self) -> float | None:
        """Labelled readings right on held-out halves of the site's cases (mean), if measured."""
        entry = (self.measured or {}).get("labelled_accuracy") or {}
        return entry.get("mean")

    # --- storage ------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> SiteCalibration:
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise SiteCalibrationError(f"not a site calibration (format_version {FORMAT_VERSION} expected)")
        fields = {k: v for k, v in data.items() if k != "format_version"}
        try:
            return cls(**fields)
        except TypeError as exc:
            raise SiteCalibrationError(f"not a site calibration: {exc}") from exc

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> SiteCalibration:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SiteCalibrationError(f"cannot read the site calibration {path}: {exc}") from exc
        return cls.from_dict(data)
