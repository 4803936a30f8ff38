"""Readings stay what they were: the bundled model on real X-rays, small and full size, gives
the decoded pixels, probabilities, sets, warnings and refusals recorded before the speed work of
issue 21 (decode, downscale and display images once; ONNX Runtime threads per worker).

The record (`readings_recorded.json`, beside this file) was written by

    .venv/bin/python -m tests.inference.test_readings_unchanged --record

with the code as it was before those changes. It holds, for 24 small real X-rays from every
source in ../shared and for full-size copies of three of them (cxr/data/fullsize.py: 2,000 px 8-
and 16-bit PNG, 3,000 px DICOM uncompressed and JPEG Lossless, built here in a temporary
folder), a SHA-256 of the decoded 8-bit pixels and the reading. Re-record only when the model
or the decoding rules change on purpose, and say why in the commit.

The readings are made with the parts of the served model the record was made with (the network,
its OOD statistics, the orientation check and the card's reading rules, each checked by hash),
in a folder of their own: parts added to the model later (the lung field, issue 24) add their
own warnings by design and are tested where they are made.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from cxr.data import fullsize

RECORD = Path(__file__).with_name("readings_recorded.json")
SMALL_PER_CLASS = 8
FULL_SIZE_SOURCES = 1  # per class: three X-rays, each in every full-size kind
TOLERANCE = 1e-6
MODEL_FILES = ("model.onnx", "ood.npz", "orientation.npz")
# The card's fields that decide a reading (the rest describes the model).
CARD_FIELDS = ("classes", "task", "input_size", "contrast", "normalisation", "temperature",
               "low_confidence_threshold", "trust", "ood")


def model_fingerprint(model_dir: Path) -> dict:
    card = json.loads((model_dir / "model_card.json").read_text())
    files = {name: hashlib.sha256((model_dir / name).read_bytes()).hexdigest()
             for name in MODEL_FILES if (model_dir / name).exists()}
    fields = json.dumps({k: card.get(k) for k in CARD_FIELDS}, sort_keys=True)
    return {"files": files, "card": hashlib.sha256(fields.encode()).hexdigest()}


def recorded_parts(model_dir: Path, folder: Path) -> Path:
    """`folder` holding only the model's parts the record was made with (links, and the card)."""
    from cxr.inference import ModelCard

    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (model_dir / name).exists():
            (folder / name).symlink_to((model_dir / name).resolve())
    # The card without the sections of the parts left out (a folder whose card describes a part
    # must hold it); the fields that decide a reading are unchanged (CARD_FIELDS).
    ModelCard.load(model_dir).replace(lung_field=None, verifier=None).write(folder)
    return folder


def small_images(cxr_dir: Path) -> list[str]:
    """A fixed choice of real X-rays (paths relative to `cxr_dir`): one per (class, source)
    first, then every k-th file of the class, SMALL_PER_CLASS per class."""
    import csv

    with open(cxr_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    chosen: dict[str, list[str]] = {}
    seen = set()
    for row in rows:
        key = (row["label"], row["file"].split("/")[-1].split("__")[0])
        if key not in seen:
            seen.add(key)
            chosen.setdefault(row["label"], []).append(row["file"])
    for label, files in chosen.items():
        same_class = [r["file"] for r in rows if r["label"] == label]
        step = max(1, len(same_class) // SMALL_PER_CLASS)
        for file in same_class[::step]:
            if len(files) >= SMALL_PER_CLASS:
                break
            if file not in files:
                files.append(file)
    return [f for label in sorted(chosen) for f in chosen[label]]


def full_size_inputs(cxr_dir: Path) -> dict[str, bytes]:
    """{"<kind>/<source name>": bytes} for every full-size kind of three real X-rays."""
    sources = fullsize.source_images(cxr_dir, FULL_SIZE_SOURCES)
    return {f"{kind}/{source.name}": fullsize.make(kind, source)
            for kind in fullsize.KINDS for source in sources}


def reading(prediction) -> dict:
    reason = prediction.reason
    return {
        "pixels_sha256": hashlib.sha256(np.ascontiguousarray(prediction.image).tobytes()).hexdigest(),
        "shape": list(prediction.image.shape),
        "source_format": prediction.source_format,
        "label": prediction.label,
        "probabilities": {k: float(v) for k, v in prediction.probabilities.items()},
        "rejected": bool(prediction.rejected),
        "reason": getattr(reason, "code", None) if reason is not None else None,
        "uncertain": bool(prediction.uncertain),
        "prediction_set": prediction.prediction_set,
        "warnings": [getattr(w, "code", str(w)) for w in prediction.warnings],
        "ood_score": float(prediction.ood_score),
        "familiarity": prediction.familiarity,
        "heatmap_class": prediction.heatmap_class,
        "heatmap_sum": float(np.asarray(prediction.heatmap, np.float64).sum()),
    }


def assert_same(now: dict, before: dict, name: str) -> None:
    exact = ("pixels_sha256", "shape", "source_format", "label", "rejected", "reason", "uncertain",
             "prediction_set", "warnings", "heatmap_class")
    for key in exact:
        assert now[key] == before[key], f"{name}: {key} was {before[key]!r}, now {now[key]!r}"
    for cls, p in before["probabilities"].items():
        assert abs(now["probabilities"][cls] - p) <= TOLERANCE, f"{name}: p({cls}) {p} -> {now['probabilities'][cls]}"
    assert now["ood_score"] == pytest.approx(before["ood_score"], rel=TOLERANCE, abs=TOLERANCE), name
    if before["familiarity"] is None:
        assert now["familiarity"] is None, name
    else:
        assert now["familiarity"] == pytest.approx(before["familiarity"], rel=TOLERANCE, abs=TOLERANCE), name
    assert now["heatmap_sum"] == pytest.approx(before["heatmap_sum"], rel=1e-5, abs=1e-3), name


@pytest.fixture(scope="module")
def record(served_model_dir, served_model_is_tiny, tmp_path_factory) -> dict:
    if served_model_is_tiny:
        pytest.skip("the record is of the bundled model: models/bundled is not installed")
    saved = json.loads(RECORD.read_text())
    from cxr.inference import Predictor

    # A changed model fails rather than skips: a skip here read as "readings unchanged" in every
    # run after the change (the code audit). Re-record on purpose, and say why in the commit.
    assert model_fingerprint(served_model_dir) == saved["model"], (
        "the served model's network, OOD statistics, orientation check or reading rules differ "
        "from the recorded ones: re-record (see the module's docstring)")
    parts = recorded_parts(served_model_dir, tmp_path_factory.mktemp("recorded-model"))
    return {"saved": saved, "predictor": Predictor.load(parts)}


def test_small_real_xrays_read_as_recorded(record, cxr_dir):
    saved, predictor = record["saved"], record["predictor"]
    assert len(saved["small"]) == 3 * SMALL_PER_CLASS
    for name, before in saved["small"].items():
        assert_same(reading(predictor.predict(cxr_dir / name)), before, name)


@pytest.mark.slow
def test_full_size_copies_read_as_recorded(record, cxr_dir):
    saved, predictor = record["saved"], record["predictor"]
    inputs = full_size_inputs(cxr_dir)
    assert sorted(inputs) == sorted(saved["full_size"])
    for name, data in inputs.items():
        assert_same(reading(predictor.predict(data)), saved["full_size"][name], name)


@pytest.mark.slow
def test_a_64_mib_dicom_reads_as_recorded(record, cxr_dir):
    """The largest upload the app takes: recorded with the others, and asserted too."""
    (name, before), = record["saved"]["big_dicom"].items()
    source = next(path for path in fullsize.source_images(cxr_dir, 1) if name.endswith("/" + path.name))
    assert_same(reading(record["predictor"].predict(fullsize.make("dicom-64mib", source))), before, name)


def test_a_batch_reads_as_one_image_at_a_time(record, cxr_dir):
    """predict_batch shares the decode/resize path: same readings as the record."""
    saved, predictor = record["saved"], record["predictor"]
    names = list(saved["small"])[:8]
    for name, prediction in zip(names, predictor.predict_batch([cxr_dir / n for n in names]), strict=True):
        assert_same(reading(prediction), saved["small"][name], name)


def main(argv: list[str]) -> int:
    if argv != ["--record"]:
        print(__doc__)
        return 2
    from cxr.inference import Predictor

    # The shared set as the tests' cxr_dir fixture finds it (conftest.py).
    cxr_dir = Path(os.environ.get("CXR_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "cxr"
    from cxr.inference import resolve_model_dir

    model_dir = resolve_model_dir(None)
    # The same parts the tests read with (`recorded_parts`): not the lung field or the verifier.
    predictor = Predictor.load(recorded_parts(model_dir, Path(tempfile.mkdtemp()) / "recorded-model"))
    small = {name: reading(predictor.predict(cxr_dir / name)) for name in small_images(cxr_dir)}
    full = {name: reading(predictor.predict(data)) for name, data in full_size_inputs(cxr_dir).items()}
    big_source = fullsize.source_images(cxr_dir, 1)[0]
    big = reading(predictor.predict(fullsize.make("dicom-64mib", big_source)))
    RECORD.write_text(json.dumps({
        "model_version": predictor.version,
        "model": model_fingerprint(model_dir),
        "small": small,
        "full_size": full,
        "big_dicom": {f"dicom-64mib/{big_source.name}": big},
    }, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(small)} small and {len(full) + 1} full-size readings in {RECORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
