"""The model contract: where the model folder is, and what its `model_card.json` says.

`resolve_model_dir` is the one rule for finding the model (an explicit folder, else
$CXR_MODEL_DIR, else the bundled one); the CLI, the web app, the studies and the benchmarks all
ask it. `ModelCard` is the card as typed, frozen sections: the exporter (cxr.export.bundle)
builds and writes it, the Predictor serves by it, the web app shows it.

The JSON stays the contract: `ModelCard.from_dict(d).to_dict() == d` key for key and in the same
order, so a card round-trips byte for byte, keys this code does not know (a newer exporter's)
included. Each section keeps them in `extra` and remembers its keys' order in `key_order`.
Older hand-written cards are normalised on reading: an `architecture` given as a plain name, a
`plots` list instead of {name: file}.
"""
from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Self

from cxr.files import atomic_target

REPO_DIR = Path(__file__).resolve().parents[2]
BUNDLED_MODEL_DIR = REPO_DIR / "models" / "bundled"
CARD_FILE = "model_card.json"
MODEL_DIR_VARIABLE = "CXR_MODEL_DIR"
# Below this top-class probability a reading gets no label (uncertain): what an export writes into
# its card (cxr.export.bundle), and what the predictor serves for a card that does not say.
LOW_CONFIDENCE_THRESHOLD = 0.6


def resolve_model_dir(model_dir: str | os.PathLike | None = None) -> Path:
    """The model folder: `model_dir` if given (an empty string counts as not given, as an unset
    Django setting does), else $CXR_MODEL_DIR, else the bundled model of this repository."""
    if model_dir:
        return Path(model_dir)
    return Path(os.environ.get(MODEL_DIR_VARIABLE) or BUNDLED_MODEL_DIR)


class CardError(ValueError):
    """model_card.json is not JSON, or a section has the wrong shape."""


# --- field kinds: how a JSON value becomes a typed one and back --------------------------------

def _section(cls) -> Any:
    """A nested section (a dict in the JSON); None when the card lacks it."""
    return field(default=None, metadata={"section": cls})


def _sequence() -> Any:
    """A JSON list, held as a tuple (the card is immutable)."""
    return field(default=(), metadata={"sequence": True})


def _mapping() -> Any:
    """A JSON object whose keys are data (split names, class names, ...), not a fixed schema."""
    return field(default_factory=dict, metadata={"mapping": True})


def _extra() -> Any:
    return field(default_factory=dict, repr=False)


def _key_order() -> Any:
    """The keys the section was read with, in order; in code, the keys to write even when null."""
    return field(default=(), repr=False, compare=False)


_BOOKKEEPING = ("extra", "key_order")


@dataclass(frozen=True)
class _Section:
    """JSON plumbing shared by the card and its sections (subclasses declare the fields)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        if not isinstance(data, Mapping):
            raise CardError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls) if f.name not in _BOOKKEEPING}
        values = {name: _typed(known[name], value, cls) for name, value in data.items() if name in known}
        extra = {key: copy.deepcopy(value) for key, value in data.items() if key not in known}
        return cls(**values, extra=extra, key_order=tuple(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object. A field is written when it is set (not None, not its empty default)
        or was in `key_order` (so a null read is written back as null). Keys keep the order of
        `key_order`; a field set since goes after the nearest field declared before it that is
        written; unknown keys not in `key_order` come last."""
        declared = [f.name for f in fields(self) if f.name not in _BOOKKEEPING]
        values = {}
        for f in fields(self):
            if f.name in _BOOKKEEPING:
                continue
            value = getattr(self, f.name)
            if f.name in self.key_order or (value is not None and value != _default(f)):
                values[f.name] = _plain(value)
        order = [key for key in self.key_order if key in values or key in self.extra]
        for index, name in enumerate(declared):
            if name in values and name not in order:
                before = next((order.index(prev) + 1 for prev in reversed(declared[:index]) if prev in order), 0)
                order.insert(before, name)
        order += [key for key in self.extra if key not in order]
        return {key: values[key] if key in values else copy.deepcopy(self.extra[key]) for key in order}

    def replace(self, **changes) -> Self:
        return replace(self, **changes)


def _default(f) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _typed(f, value, owner) -> Any:
    if value is None:
        return None
    where = f"{owner.__name__}.{f.name}"
    if "section" in f.metadata:
        return f.metadata["section"].from_dict(value)
    if f.metadata.get("sequence"):
        if not isinstance(value, list | tuple):
            raise CardError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(copy.deepcopy(v) for v in value)
    if f.metadata.get("mapping"):
        if not isinstance(value, Mapping):
            raise CardError(f"{where}: expected a JSON object, got {type(value).__name__}")
        return copy.deepcopy(dict(value))
    return copy.deepcopy(value)


def _plain(value) -> Any:
    if isinstance(value, _Section):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return copy.deepcopy(value)


# --- the sections --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Normalisation(_Section):
    """Per-channel mean and std applied after grey -> 3 channels and /255."""

    mean: tuple[float, ...] = _sequence()
    std: tuple[float, ...] = _sequence()
    note: str | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Architecture(_Section):
    name: str | None = None
    timm_name: str | None = None
    head: str | None = None
    cam: str | None = None
    onnx_opset: int | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Training(_Section):
    """How the checkpoint was trained; `data` holds counts per subset, label and source."""

    data: Mapping[str, Any] | None = None
    split: Mapping[str, Any] | None = None
    command: str | None = None
    arguments: Mapping[str, Any] | None = None
    date: str | None = None
    code_version: str | None = None
    epoch: int | None = None
    val_metrics: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Export(_Section):
    checkpoint: str | None = None
    date: str | None = None
    torch: str | None = None
    onnxruntime: str | None = None
    agreement_onnx_vs_pytorch: Mapping[str, Any] | None = None  # images, max |d logit|, max |dp|
    # What the export wrote: SHA-256 of model.onnx and ood.npz, and of the card's network fields
    # ("network_fields": classes, input size, normalisation, contrast); checked at load.
    sha256: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Calibration(_Section):
    method: str | None = None
    validation_images: int | None = None
    ece_before_after_note: str | None = None
    test_ece_before: float | None = None
    test_ece_after: float | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Decision(_Section):
    low_confidence_share_of_test: float | None = None
    labelled_share_of_test: float | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Guard(_Section):
    """The card's `ood` section: how the guard against non-X-rays was fitted and how it does."""

    method: str | None = None
    threshold: float | None = None
    threshold_rule: str | None = None
    combine: str | None = None
    unseen_hospital_margin: float | None = None
    mahalanobis_scale: float | None = None
    knn_scale: float | None = None
    knn_k: int | None = None
    shrinkage: float | None = None
    fitted_on_train_images: int | None = None
    validation_images: int | None = None
    false_refusal_rate_test: float | None = None
    test_images: int | None = None
    negative_refusal_rate: float | None = None
    negative_set: Mapping[str, Any] | None = None
    false_refusal_by_source_test: Mapping[str, Any] | None = None  # source -> {n, refused}
    false_refusal_by_label_test: Mapping[str, Any] | None = None  # label -> {n, refused}
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class HeatmapCheck(_Section):
    """How much of the heat maps lies on annotated lungs (cxr.evaluation.heatmap_check)."""

    method: str | None = None
    masks: str | None = None
    images: int | None = None
    heat_on_lungs: float | None = None
    lung_area: float | None = None
    best_possible: float | None = None
    peak_on_lungs: float | None = None
    by_label: Mapping[str, Any] | None = None  # label -> the same numbers
    by_source: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class LungFieldCheck(_Section):
    """The lung-field segmenter shipped beside the model (`python -m cxr lung-field`): how
    reliable it was on mask sources it never saw, and how out-of-source readings whose heat map
    lay off the lungs did. `warn_below` is set only when it met its declared criterion."""

    method: str | None = None
    file: str | None = None
    masks: str | None = None
    held_out: Mapping[str, Any] = _mapping()  # mask source -> Dice summary with 95% CIs
    reliable: bool | None = None
    criterion: str | None = None
    unmasked_adult_sources: Mapping[str, Any] = _mapping()
    warn_below: float | None = None  # heat share on the lungs below it: warn
    epochs: int | None = None
    out_of_source: Mapping[str, Any] = _mapping()
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class VerifierCheck(_Section):
    """The chest X-ray verifier shipped beside the model (`verifier.npz`,
    studies/guard_verifier): how it was fitted and what it refused with whole negative families
    and whole source groups left out of the fit."""

    method: str | None = None
    file: str | None = None
    threshold: float | None = None
    false_refusal_budget: float | None = None  # held-out share of fitting X-rays refused (`method` says how held out)
    fitted_on: Mapping[str, Any] = _mapping()  # counts of X-rays and negatives per family
    families_left_out: Mapping[str, Any] = _mapping()  # family -> refusal proportion with 95% CI
    sources_left_out: Mapping[str, Any] = _mapping()  # source group -> false refusal proportion
    patient_split_test: Mapping[str, Any] = _mapping()  # the served fit on held-out patients
    # The whole served guard (rules, orientation, feature guard and this verifier) on the same
    # held-out patients: the false refusals a user meets, stated in the card's limitations.
    served_guard_patient_split_test: Mapping[str, Any] = _mapping()
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class Trust(_Section):
    """What the model may say about itself, fitted on out-of-source readings: every image read
    by a model that never saw its source (`python -m cxr out-of-source`, then
    `python -m cxr trust fit`; cxr.evaluation.trust). Served by cxr.inference.abstention."""

    temperature: float | None = None  # replaces the card's seen-source temperature when present
    rule: str | None = None  # abstention score, a key of cxr.inference.abstention.RULES
    target_accuracy: float | None = None  # what the threshold was chosen for
    threshold: float | None = None  # rule score needed for a label; None: no label at all
    set_confidence: float | None = None  # prediction sets hold the true class this often
    set_thresholds: tuple[float | None, ...] = _sequence()  # per class; None: never ruled out
    familiarity_threshold: float | None = None  # nearest-neighbour ratio above it: unfamiliar
    familiarity_k: int | None = None
    protocol: Mapping[str, Any] = _mapping()  # held-out groups, recipe, image counts
    measured: Mapping[str, Any] = _mapping()  # left-out-group measurements with 95% CIs
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class ModelCard(_Section):
    """model_card.json, typed. Optional parts are None (or empty) when the card lacks them."""

    name: str | None = None
    version: str | None = None
    classes: tuple[str, ...] = _sequence()  # the model's output order
    task: str | None = None
    input_size: int | None = None  # px, square
    contrast: str | None = None  # cxr.preprocess contrast mode
    normalisation: Normalisation | None = _section(Normalisation)
    temperature: float | None = None  # logits are divided by it before the softmax
    low_confidence_threshold: float | None = None  # below this top probability: no label
    intended_use: str | None = None
    architecture: Architecture | None = _section(Architecture)
    training: Training | None = _section(Training)
    export: Export | None = _section(Export)
    # split name ("random", "patient", "source", ...) -> cxr.evaluation.metrics report
    metrics: Mapping[str, Mapping[str, Any]] = _mapping()
    ece_before: float | None = None  # validation split
    ece_after: float | None = None
    calibration: Calibration | None = _section(Calibration)
    decision: Decision | None = _section(Decision)
    ood: Guard | None = _section(Guard)
    heatmap_check: HeatmapCheck | None = _section(HeatmapCheck)
    trust: Trust | None = _section(Trust)
    # The same kind of fit, measured for this model but not served (`cxr trust --record-only`):
    # How it works shows why; the predictor never reads it.
    trust_not_installed: Trust | None = _section(Trust)
    lung_field: LungFieldCheck | None = _section(LungFieldCheck)
    verifier: VerifierCheck | None = _section(VerifierCheck)
    plots: Mapping[str, str] = _mapping()  # name -> PNG file in the model folder
    limitations: tuple[str, ...] = _sequence()  # English
    limitation_notices: tuple[Mapping[str, Any], ...] = _sequence()  # Notice.as_dict() each
    extra: Mapping[str, Any] = _extra()
    key_order: tuple[str, ...] = _key_order()

    def metric(self, split: str, name: str) -> Mapping[str, Any] | None:
        """One measured figure of `metrics` ({"value", "ci95", ...}), e.g. ("source", "accuracy"):
        how a model trained this way did on collections it never saw; None when not measured."""
        value = ((self.metrics or {}).get(split) or {}).get(name)
        return value if isinstance(value, Mapping) else None

    @property
    def served_version(self) -> str:
        """The version readings and site calibrations name: the card's, or "unknown"."""
        return "unknown" if self.version is None else str(self.version)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        if isinstance(data, Mapping):
            data = dict(data)
            if isinstance(data.get("architecture"), str):  # older cards: the network's name only
                data["architecture"] = {"name": data["architecture"]}
            if isinstance(data.get("plots"), list):  # older cards: a list of files
                data["plots"] = {Path(str(p)).stem: p for p in data["plots"]}
        return super().from_dict(data)

    @classmethod
    def load(cls, model_dir: str | os.PathLike | None = None) -> Self:
        """The card of `model_dir` (resolved by `resolve_model_dir`). FileNotFoundError when the
        folder has no card; CardError when it is not JSON or not shaped like a card."""
        path = resolve_model_dir(model_dir) / CARD_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # invalid JSON or undecodable text
            raise CardError(f"{path}: {exc}") from exc
        return cls.from_dict(data)

    def to_json(self) -> str:
        """The file's text, as the exporter writes it (2-space indent, UTF-8 kept, NaN -> null)."""
        return json.dumps(json_safe(self.to_dict()), indent=2, ensure_ascii=False) + "\n"

    def write(self, model_dir: str | os.PathLike) -> Path:
        """Write model_card.json into `model_dir` atomically (a reader never sees half a card)."""
        path = Path(model_dir) / CARD_FILE
        with atomic_target(path) as tmp:
            tmp.write_text(self.to_json(), encoding="utf-8")
        return path


# The range a card's temperature is fitted in (cxr.evaluation.metrics.fit_temperature). Here, on
# the serving side, because the app tells from it whether a fit ran to its end (`temperature_at_bound`).
TEMPERATURE_SEARCH_RANGE = (0.05, 20.0)


def temperature_at_bound(temperature) -> bool:
    """Whether a fitted temperature lies at either end of TEMPERATURE_SEARCH_RANGE (to within
    0.1%): the fit wanted to go further, and the range, not the data, decided it."""
    if not is_number(temperature):
        return False
    low, high = TEMPERATURE_SEARCH_RANGE
    return temperature <= low * 1.001 or temperature >= high * 0.999


def is_number(value) -> bool:
    """Whether a value read from JSON (a card, a site calibration) is a number: int or float,
    not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_safe(value):
    """numpy scalars -> Python numbers; NaN and infinities -> None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
