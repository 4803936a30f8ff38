"""`Predictor`: the exported model, its card and its OOD statistics, loaded once and shared.

One instance serves every request: `onnxruntime.InferenceSession.run` is thread-safe and the
predictor keeps no per-request state.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cxr.files import file_sha256
from cxr.inference import abstention
from cxr.inference.cam import heatmap_from_cam
from cxr.inference.card import (
    CARD_FILE,
    LOW_CONFIDENCE_THRESHOLD,
    MODEL_DIR_VARIABLE,
    CardError,
    ModelCard,
    resolve_model_dir,
)
from cxr.inference.decode import MAX_BYTES, MAX_PIXELS, DecodedImage, decode_image
from cxr.inference.errors import ImageError, ModelDamaged, ModelNotInstalled
from cxr.inference.guard import detectors, rules
from cxr.inference.guard.orientation import (
    ORIENTATION_FILE,
    OrientationClassifier,
    correct_orientation,
    load_orientation,
)
from cxr.inference.guard.verifier import VERIFIER_FILE, ChestXrayVerifier, load_verifier
from cxr.inference.limitations import unseen_source_caveat
from cxr.inference.lung_field import (
    LUNG_FIELD_FILE,
    LungField,
    heat_share_on_lungs,
    load_lung_field,
)
from cxr.inference.notices import Notice
from cxr.inference.prediction import Prediction
from cxr.inference.site_calibration import SiteCalibration
from cxr.preprocess import IMAGENET_MEAN, IMAGENET_STD, prepare_gray

# What a card that does not say is served with (and card.LOW_CONFIDENCE_THRESHOLD).
DEFAULT_TEMPERATURE = 1.0
DEFAULT_CONTRAST = "none"
BATCH_SIZE = 16


def default_threads() -> int:
    """$CXR_ORT_THREADS, else 2 (or 1 on a one-core machine): requests run side by side. A
    server with one worker process per core runs each with 1 (gunicorn.conf.py): the threads of
    one model run then never wait for a core another worker holds. Raises ValueError, naming the
    variable and what it takes, for a value that is not a whole number of 1 or more (the CLI and
    the web app's settings check it before anything is read)."""
    value = os.environ.get("CXR_ORT_THREADS", "").strip()
    if not value:
        return max(1, min(2, os.cpu_count() or 1))
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"CXR_ORT_THREADS={value!r} is not a number of threads: set it to a whole "
                         "number, 1 or more (ONNX Runtime threads per model run), or leave it unset "
                         "for the default (2, or 1 on a one-core machine)")
    return threads


def session_options(threads: int):
    """ONNX Runtime options for serving: `threads` for each model run, and idle threads that
    sleep rather than spin. Spinning (ORT's default) keeps a core busy for a while after every
    run; next to other work (decoding, a second worker) that made a run plus the guard's scores
    take 48 ms of wall and 29 ms of CPU instead of 20 and 18 (2 threads, a busy machine)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def part_files(card: ModelCard) -> tuple[str, str]:
    """The files of the lung field and the verifier: those their card sections name, else the
    usual names (a card without the sections; the folder may still hold the files)."""
    lung, verifier = card.lung_field, card.verifier
    return ((lung.file if lung and lung.file else LUNG_FIELD_FILE),
            (verifier.file if verifier and verifier.file else VERIFIER_FILE))


def parts_the_card_names(card: ModelCard) -> list[tuple[str, str]]:
    """(file, what it does) of each optional part of the model folder that the card says the
    model has: the lung field and the verifier, whose sections name their files, and, with a
    verifier measured as the whole served guard (the card's limitations quote it), the orientation
    check it was measured with. Serving without one would switch that part of the image check
    off while the card, How it works and the limitations still describe it. A card whose sections
    name no file (older models, the test models) serves without them."""
    lung_file, verifier_file = part_files(card)
    verifier = card.verifier if card.verifier and card.verifier.file else None
    parts = []
    if (card.lung_field and card.lung_field.file) or verifier:  # the verifier reads the lung field
        parts.append((lung_file, "the lung field, which the whole-chest-X-ray and heat-map checks read"))
    if verifier:
        parts.append((verifier_file, "the check that a picture is a whole frontal chest X-ray"))
        if verifier.served_guard_patient_split_test:
            parts.append((ORIENTATION_FILE, "the check of which way up an X-ray is"))
    return parts


# The network's interface the predictor runs (run_model): one input, three outputs.
NETWORK_INPUT = "input"
NETWORK_OUTPUTS = ("logits", "features", "cam")


def network_misfit(session, card: ModelCard) -> str | None:
    """Why the card does not describe the network of `session`, or None when it does as far as the
    graph says: the input and outputs run_model uses, as many logits as the card names classes,
    and the card's input size where the graph fixes one. Nothing else ties a card to its weights:
    a card naming 2 classes beside a 3-class network failed every reading with a 500."""
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    lacking = [name for name in (NETWORK_INPUT, *NETWORK_OUTPUTS) if name not in {**inputs, **outputs}]
    if lacking:
        return (f"the network has no {', '.join(lacking)} {'tensor' if len(lacking) == 1 else 'tensors'} "
                "(an exported model has the input `input` and the outputs `logits`, `features`, `cam`)")
    given = outputs["logits"][-1] if outputs["logits"] else None
    if card.classes and isinstance(given, int) and given != len(card.classes):
        return f"the card names {len(card.classes)} classes, the network gives {given}"
    side = [d for d in inputs[NETWORK_INPUT][-2:] if isinstance(d, int)]
    if card.input_size is not None and side and any(d != int(card.input_size) for d in side):
        shape = " x ".join(str(d) for d in inputs[NETWORK_INPUT][-2:])
        return f"the card's input size is {card.input_size} px, the network takes {shape} px"
    return None


# What an export writes and records in the card (Export.sha256): the network, its guard, and the
# card's fields that must describe that network. The other parts (lung field, verifier,
# orientation check) and the fits recorded later (trust, site checks) are added by other commands.
EXPORTED_FILES = ("model.onnx", "ood.npz")
NETWORK_FIELDS = ("classes", "input_size", "normalisation", "contrast")


def network_fields_sha256(card: ModelCard) -> str:
    fields = card.to_dict()
    return hashlib.sha256(json.dumps({name: fields.get(name) for name in NETWORK_FIELDS},
                                     sort_keys=True).encode()).hexdigest()


def exported_sha256(model_dir: Path, card: ModelCard) -> dict[str, str]:
    """The record an export writes into its card's `export.sha256`."""
    return {**{name: file_sha256(model_dir / name) for name in EXPORTED_FILES},
            "network_fields": network_fields_sha256(card)}


def export_mismatch(model_dir: Path, card: ModelCard) -> str | None:
    """Why the folder is not what its export wrote, or None. Classes in another order, or the
    network or guard of another export with the same classes and input size, pass every other
    check and read every X-ray wrong (a COVID-19 film as "normal"). A card exported before the
    record (no `export.sha256`) is not checked. Hashing the two files takes about 50 ms."""
    recorded = (card.export.sha256 if card.export else None) or {}
    for name in EXPORTED_FILES:
        if name in recorded and file_sha256(model_dir / name) != recorded[name]:
            return f"{name} is not the file this card was exported with (its SHA-256 differs)"
    if "network_fields" in recorded and network_fields_sha256(card) != recorded["network_fields"]:
        return ("the card's classes, input size, normalisation or contrast differ from what was "
                "exported with its network")
    return None


class Predictor:
    def __init__(self, model_dir: Path, session, card: ModelCard,
                 detector: detectors.MahalanobisDetector | detectors.FeatureGuard | None,
                 max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                 orientation: OrientationClassifier | None = None,
                 lung_field: LungField | None = None, verifier: ChestXrayVerifier | None = None,
                 site_calibration: SiteCalibration | None = None):
        if not card.classes or card.input_size is None:
            raise CardError(f"the model card of {model_dir} names no classes or no input size")
        self.model_dir = model_dir
        self.session = session
        self.card = card
        self.detector = detector
        self.orientation = orientation  # which way up (orientation.npz); None: not checked
        self.lung_field = lung_field  # lung_field.onnx: where the lungs are; None: not checked
        # Heat maps off the lungs are flagged only with a segmenter that met its reliability
        # criterion and whose flag was measured out of source (the card's lung_field section).
        check = card.lung_field
        measured = check.out_of_source.get("all") if check and check.out_of_source else None
        self.lung_check = check if (lung_field and check and check.warn_below is not None and measured) else None
        # "Is this a whole frontal chest X-ray?" (verifier.npz); it reads the lung field.
        self.verifier = verifier if lung_field is not None else None
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.classes: list[str] = list(card.classes)
        self.input_size = int(card.input_size)
        self.contrast = card.contrast or DEFAULT_CONTRAST
        # Fitted on out-of-source readings (card.trust) when the card has them: what a new
        # hospital's images need. Otherwise the seen-source validation fit of older cards.
        self.trust = card.trust if card.trust and card.trust.rule else None
        # Without that fit, a label rests on seen-source numbers: each labelled reading then says
        # how often the same recipe's label was right on collections it never saw (None: it
        # has a fit, or the card no such measurement).
        caveats = {label: unseen_source_caveat(card, label) for label in self.classes}
        self.unseen_source_caveats = caveats if any(caveats.values()) else None
        temperature = self.trust.temperature if self.trust else card.temperature
        self.temperature = float(DEFAULT_TEMPERATURE if temperature is None else temperature)
        self.low_confidence_threshold = float(LOW_CONFIDENCE_THRESHOLD if card.low_confidence_threshold is None
                                              else card.low_confidence_threshold)
        norm = card.normalisation
        mean = norm.mean if norm and norm.mean else IMAGENET_MEAN
        std = norm.std if norm and norm.std else IMAGENET_STD
        self._mean = np.asarray(mean, np.float32)[None, :, None, None]
        self._std = np.asarray(std, np.float32)[None, :, None, None]
        self.version = card.served_version
        # Fitted on this site's own labelled X-rays (cxr.inference.site_calibration): where set,
        # it decides probabilities, sets and labels instead of the card's fits.
        if site_calibration is not None:
            site_calibration.check_model(self.classes, self.version)
        self.site = site_calibration

    @classmethod
    def load(cls, model_dir: str | Path | None = None, threads: int | None = None,
             site_calibration: str | Path | SiteCalibration | None = None) -> Predictor:
        """The model in `model_dir`, optionally read through a site calibration (a file from
        `python -m cxr validate-site --calibration-out`, or the object); a calibration fitted on
        another model raises SiteCalibrationError."""
        import onnxruntime as ort

        if site_calibration is not None and not isinstance(site_calibration, SiteCalibration):
            site_calibration = SiteCalibration.load(site_calibration)

        named = bool(model_dir or os.environ.get(MODEL_DIR_VARIABLE))  # not the bundled default
        model_dir = resolve_model_dir(model_dir)
        needed = [model_dir / name for name in ("model.onnx", CARD_FILE, "ood.npz")]
        missing = [p.name for p in needed if not p.is_file()]
        if missing:
            # "Set CXR_MODEL_DIR" would be wrong advice where it, or the caller, named this folder.
            advice = ("Name an exported model folder (model.onnx, model_card.json, ood.npz; `python -m "
                      "cxr export` makes one) instead, in CXR_MODEL_DIR or the model folder option."
                      if named else
                      "Export one with `python -m cxr export runs/<name>/best.pt --out "
                      "models/bundled`, or set CXR_MODEL_DIR to an exported model folder.")
            raise ModelNotInstalled(f"No model at {model_dir} (missing {', '.join(missing)}). {advice}")
        card = ModelCard.load(model_dir)
        missing_parts = [f"{name} ({what}) is missing" for name, what in parts_the_card_names(card)
                         if not (model_dir / name).is_file()]
        if missing_parts:
            raise ModelDamaged(model_dir, f"its card describes parts the folder lacks: {'; '.join(missing_parts)}")
        session = ort.InferenceSession(
            str(model_dir / "model.onnx"), sess_options=session_options(threads or default_threads()),
            providers=["CPUExecutionProvider"]
        )
        misfit = network_misfit(session, card)
        if misfit:
            raise ModelDamaged(model_dir, f"{misfit} ({CARD_FILE} does not belong to model.onnx)")
        detector = detectors.load_detector(model_dir / "ood.npz")
        lung_file, verifier_file = part_files(card)
        orientation = load_orientation(model_dir / ORIENTATION_FILE)
        lung_field, verifier = load_lung_field(model_dir / lung_file), load_verifier(model_dir / verifier_file)
        # Last: a file that cannot be read at all, or a card that does not fit the network, is
        # named more precisely by the checks above.
        changed = export_mismatch(model_dir, card)
        if changed:
            raise ModelDamaged(model_dir, changed)
        return cls(model_dir, session, card, detector, orientation=orientation, lung_field=lung_field,
                   verifier=verifier, site_calibration=site_calibration)

    # --- public API ---------------------------------------------------------------------------

    def self_check(self) -> None:
        """Read one small synthetic picture through the whole pipeline (guard, network, lung
        field, verifier, decisions), so that a card that does not fit its network in a way the
        load's checks cannot see (a normalisation of the wrong length, ...) fails once, here,
        rather than every reading. About 0.2 s on a server CPU, most of it the session's first
        run, which the first reading would pay otherwise. Raises ModelDamaged."""
        gradient = (np.add.outer(np.arange(256), np.arange(256)) // 2).astype(np.uint8)
        try:
            self.predict_decoded([DecodedImage(gray=gradient, source_format="png")])
        except Exception as exc:  # noqa: BLE001 - whatever fails here would fail every reading
            raise ModelDamaged(self.model_dir, "a test picture could not be read through it "
                                               f"({type(exc).__name__}: {exc})") from exc

    def predict(self, data: bytes | str | os.PathLike) -> Prediction:
        """Read one image. Raises ImageError (only) when the input cannot be decoded."""
        return self.predict_decoded([self.decode(data)])[0]

    def predict_batch(self, items: Iterable[bytes | str | os.PathLike],
                      errors: str = "raise") -> list[Prediction | ImageError]:
        """Read several images in batches. errors="raise" stops at the first unreadable input;
        errors="return" puts the ImageError in that input's place and reads the others."""
        if errors not in ("raise", "return"):
            raise ValueError("errors must be 'raise' or 'return'")
        results: list[Prediction | ImageError | None] = []
        decoded: list[tuple[int, DecodedImage]] = []
        for item in items:
            try:
                decoded.append((len(results), self.decode(item)))
                results.append(None)
            except ImageError as exc:
                if errors == "raise":
                    raise
                results.append(exc)
        for start in range(0, len(decoded), BATCH_SIZE):
            chunk = decoded[start:start + BATCH_SIZE]
            for (index, _), prediction in zip(chunk, self.predict_decoded([d for _, d in chunk]), strict=True):
                results[index] = prediction
        return results  # type: ignore[return-value]

    def decode(self, data: bytes | str | os.PathLike) -> DecodedImage:
        return decode_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)

    def predict_decoded(self, images: Sequence[DecodedImage]) -> list[Prediction]:
        if not images:
            return []
        prepared = np.stack([prepare_gray(d.gray, self.input_size, self.contrast) for d in images])
        images = list(images)
        refusals: list[Notice | None] = [None] * len(images)
        notes: list[list[Notice]] = [[] for _ in images]
        turned_back: dict[int, np.ndarray] = {}
        if self.orientation is not None:
            turned_back = self._orient(images, prepared, refusals, notes)
        if turned_back and self.verifier is not None:
            self._refuse_what_is_no_xray_either_way(turned_back, refusals)
        logits, cams, pooled = self.run_model(prepared)
        # The lung field is read only when something uses it: the verifier or the heat-map check.
        needs_lungs = self.verifier is not None or self.lung_check is not None
        lungs = self.lung_field.probabilities(prepared) if needs_lungs else None
        if self.verifier is not None:
            for i in np.flatnonzero(self.verifier.refuses(prepared, pooled, lungs)):
                refusals[i] = refusals[i] or Notice("not_cxr_verifier")
        probabilities = softmax(logits / self.temperature)
        distances, familiarity = self.guard_scores(pooled)
        predictions = [self._prediction(d, p, c, s, f, r, n)
                       for d, p, c, s, f, r, n in zip(images, probabilities, cams, distances, familiarity,
                                                      refusals, notes, strict=True)]
        if self.lung_check is not None:
            self._check_heat_on_lungs(predictions, lungs)
        return predictions

    def _check_heat_on_lungs(self, predictions: list[Prediction], lungs: np.ndarray) -> None:
        """Warn (in place) where a read X-ray's heat map lies mostly off the lungs. (How such
        readings did out of source is in the card's lung_field section and on How it works.)"""
        for prediction, lung in zip(predictions, lungs, strict=True):
            if prediction.rejected:
                continue
            share = heat_share_on_lungs(prediction.heatmap, lung)
            prediction.heat_on_lungs = share
            if share < self.lung_check.warn_below:
                prediction.warnings.append(Notice("heatmap_off_lungs", on_lungs_percent=round(100 * share)))

    def _orient(self, images: list[DecodedImage], prepared: np.ndarray,
                refusals: list[Notice | None], notes: list[list[Notice]]) -> dict[int, np.ndarray]:
        """Rotated or inverted X-rays, before the model (in place): turn a surely turned image back
        and say so; refuse one flagged less surely, or whose turned-back image still does not
        look upright. An image is never read the way up it was flagged. Returns the refused
        images turned back the way the classifier thought them turned (prepared, by index)."""
        verdicts = self.orientation.check(prepared)
        refused: dict[int, np.ndarray] = {}
        for i, verdict in enumerate(verdicts):
            if verdict.flagged and not verdict.correctable:
                refusals[i] = Notice("not_cxr_orientation")
                refused[i] = prepare_gray(correct_orientation(images[i].gray, verdict.name),
                                          self.input_size, self.contrast)
        flagged = [i for i, v in enumerate(verdicts) if v.correctable]
        if not flagged:
            return refused
        corrected = [dataclasses.replace(images[i], gray=correct_orientation(images[i].gray, verdicts[i].name))
                     for i in flagged]
        turned_back = np.stack([prepare_gray(d.gray, self.input_size, self.contrast) for d in corrected])
        again = self.orientation.check(turned_back)
        for j, i in enumerate(flagged):
            verdict = verdicts[i]
            if again[j].flagged:
                refusals[i] = Notice("not_cxr_orientation")
                refused[i] = turned_back[j]
                continue
            images[i] = corrected[j]
            prepared[i] = turned_back[j]
            if verdict.angle:
                notes[i].append(Notice("corrected_rotation", angle=verdict.angle))
            if verdict.inverted:
                notes[i].append(Notice("corrected_inversion"))
        return refused

    def _refuse_what_is_no_xray_either_way(self, turned_back: dict[int, np.ndarray],
                                           refusals: list[Notice | None]) -> None:
        """"Turned or inverted: upload it upright" only where that advice would help: an image
        refused for its orientation whose turned-back picture the verifier refuses too is "not a
        chest X-ray" instead (in place). A document, noise or a photo is not a chest X-ray
        whichever way up; it stays refused either way, only the reason differs. (The guard's
        distance is not asked: it judges likeness to the training X-rays, not whether this is one.)"""
        if self.verifier is None:
            return
        order = sorted(turned_back)
        prepared = np.stack([turned_back[i] for i in order])
        _, _, pooled = self.run_model(prepared)
        refused = self.verifier.refuses(prepared, pooled, self.lung_field.probabilities(prepared))
        for k, i in enumerate(order):
            if refused[k]:
                refusals[i] = Notice("not_cxr_verifier")

    def guard_scores(self, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The guard's scores and the familiarity ratios, sharing one neighbour search."""
        if isinstance(self.detector, detectors.FeatureGuard):
            distances, neighbours = self.detector.scores_and_neighbours(pooled)
            return distances, neighbours / self.detector.neighbours.threshold
        return self.detector.scores(pooled), self.familiarity_ratios(pooled)

    def familiarity_ratios(self, pooled: np.ndarray) -> np.ndarray:
        """The guard's nearest-neighbour score over its validation scale: how far an image lies
        from the training X-rays (1 = as far as the farthest 1% of validation X-rays). NaN where
        the guard has no nearest-neighbour part (models exported before it)."""
        neighbours = getattr(self.detector, "neighbours", None)
        if neighbours is None:
            return np.full(len(pooled), np.nan)
        return neighbours.scores(pooled) / neighbours.threshold

    def logits_and_features(self, prepared: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Raw logits (N, C) and pooled features (N, K) of many prepared images, batch by batch
        (for export and studies: no decoding, no decisions)."""
        logits, pooled = [], []
        for start in range(0, len(prepared), batch):
            out_logits, _, out_pooled = self.run_model(np.asarray(prepared[start:start + batch]))
            logits.append(out_logits)
            pooled.append(out_pooled)
        return np.concatenate(logits), np.concatenate(pooled)

    def run_model(self, prepared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """uint8 (N, S, S) -> raw logits (N, C), CAMs (N, C, h, w), pooled features (N, K)."""
        x = (np.repeat(prepared[:, None].astype(np.float32) / 255.0, 3, axis=1) - self._mean) / self._std
        logits, features, cams = self.session.run(["logits", "features", "cam"], {"input": x})
        return logits, cams, detectors.pool_features(features)

    # --- decisions ----------------------------------------------------------------------------

    def _prediction(self, decoded: DecodedImage, probs: np.ndarray, cam: np.ndarray, distance: float,
                    familiarity: float, refusal: Notice | None = None,
                    notes: Sequence[Notice] = ()) -> Prediction:
        if self.site:
            probs = self.site.probabilities(probs)
        probabilities = {name: float(p) for name, p in zip(self.classes, probs, strict=True)}
        top = int(np.argmax(probs))
        reason = rules.explained_refusal(decoded) or refusal
        if reason is None and distance > self.detector.threshold:
            reason = Notice("not_cxr_unlike_training", distance=float(distance),
                            limit=float(self.detector.threshold))
        rejected = reason is not None
        # `notes` say the picture was turned or inverted back before reading: for one refused
        # after all (a photo, a page) that contradicts the refusal, so it gets none of them.
        warnings = list(decoded.warnings) + rules.dicom_warnings(decoded) + ([] if rejected else list(notes))
        # Familiarity is a property of the image and the training set, not of how its
        # probabilities are calibrated, so the card's warning stands under a site calibration too.
        limit = self.trust.familiarity_threshold if self.trust else None
        unfamiliar = limit is not None and bool(familiarity > limit)  # NaN: False
        if unfamiliar and not rejected:
            warnings.append(Notice("unfamiliar_image", ratio=float(familiarity), limit=float(limit)))
        in_set = None  # (1, C): the classes not ruled out, where a fit says so
        if self.site:
            in_set = self.site.in_set(probs)
            uncertain = not rejected and not self.site.labels(probs)[0]
        elif self.trust:
            in_set = abstention.prediction_sets(probs[None, :], self.trust.set_thresholds)
            score = abstention.rule_scores(self.trust.rule, probs[None, :], in_set, np.array([unfamiliar]))
            uncertain = not rejected and not abstention.labelled(score, self.trust.threshold)[0]
        else:
            uncertain = not rejected and float(probs[top]) < self.low_confidence_threshold
        # A set's coverage was measured on chest X-rays: for a refused picture (a photo, an
        # upside-down film) it would state a level that was never measured, so it has none.
        prediction_set = None if in_set is None or rejected else [
            c for c, inside in zip(self.classes, in_set[0], strict=True) if inside]
        if uncertain:
            reason = self._uncertain_reason(probs, top)
        if reason is None and self.site and self.site.labelled_accuracy is not None:
            warnings.append(self._site_caveat())
        elif reason is None:
            # No measured figure of the site's own (none served, or its held-out halves labelled
            # nothing): the card's out-of-source caution is the best evidence of how often such a
            # label is right, and a site calibration says it was not measured there.
            if self.unseen_source_caveats and self.unseen_source_caveats[self.classes[top]]:
                warnings.append(self.unseen_source_caveats[self.classes[top]])
            if self.site:
                warnings.append(self._site_caveat())
        size = (self.input_size, self.input_size)
        return Prediction(
            label=None if reason else self.classes[top],
            probabilities=probabilities,
            rejected=rejected,
            reason=reason,
            low_confidence=uncertain,
            ood_score=float(distance),
            warnings=warnings,
            heatmap=heatmap_from_cam(cam[top], size),
            image=decoded.gray,
            source_format=decoded.source_format,
            model_version=self.version,
            heatmap_class=self.classes[top],
            prediction_set=prediction_set,
            set_confidence=self._set_confidence(prediction_set),
            familiarity=None if np.isnan(familiarity) else float(familiarity),
            _cam=cam[top],
        )

    def _uncertain_reason(self, probs: np.ndarray, top: int) -> Notice:
        # One decimal, as the probability bars show it: 99.8% must not read as "(100%)".
        percent = round(100 * float(probs[top]), 1)
        if self.site:
            target_percent = round(100 * float(self.site.target_accuracy))
            if self.site.label_threshold is None:
                return Notice("site_labels_nothing", cases=self.site.cases, target_percent=target_percent)
            if float(probs[top]) >= self.site.label_threshold:  # sure enough, but its set rules it out
                return Notice("uncertain_site_set", label=self.classes[top], percent=percent)
            return Notice("uncertain_site", label=self.classes[top], percent=percent,
                          target_percent=target_percent)
        if not self.trust:
            return Notice("uncertain", percent=percent, label=self.classes[top],
                          threshold_percent=round(100 * self.low_confidence_threshold))
        target_percent = round(100 * float(self.trust.target_accuracy))
        if self.trust.threshold is None:
            return Notice("refused_all_labels", target_percent=target_percent)
        return Notice("uncertain_measured", label=self.classes[top], percent=percent,
                      target_percent=target_percent)

    def _set_confidence(self, prediction_set: list[str] | None) -> float | None:
        """The level the reading's prediction set was fitted at (site calibration, else card)."""
        level = None if prediction_set is None else (self.site or self.trust).set_confidence
        return None if level is None else float(level)

    def _site_caveat(self) -> Notice:
        """What a label resting on this site's calibration can claim: how often the same
        procedure's labels were right on held-out halves of the site's own cases."""
        right = self.site.labelled_accuracy
        if right is None:
            return Notice("site_calibrated_unmeasured", cases=self.site.cases, fitted=self.site.fitted_at)
        return Notice("site_calibrated", cases=self.site.cases, fitted=self.site.fitted_at,
                      labelled_percent=100 * float(right))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
