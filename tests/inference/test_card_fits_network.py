"""A model card that does not describe its network makes the folder unusable at load (operator
audit, finding B): a copy of the bundled folder whose card named 2 classes passed every check,
then failed every reading (`zip() argument 2 is longer than argument 1`, a 500 on every upload).
Real parts: the bundled model, its card changed in a temporary copy."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cxr.inference import ModelNotInstalled, Predictor
from cxr.inference.card import BUNDLED_MODEL_DIR


@pytest.fixture(scope="module")
def bundled() -> Path:
    if not (BUNDLED_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"the bundled model is not installed ({BUNDLED_MODEL_DIR / 'model.onnx'} is missing)")
    return BUNDLED_MODEL_DIR


def with_card(bundled: Path, folder: Path, **changes) -> Path:
    """A copy of the bundled folder (its files linked) whose card has `changes`."""
    folder.mkdir()
    for path in bundled.iterdir():
        if path.name != "model_card.json":
            (folder / path.name).symlink_to(path)
    card = json.loads((bundled / "model_card.json").read_text(encoding="utf-8"))
    (folder / "model_card.json").write_text(json.dumps({**card, **changes}), encoding="utf-8")
    return folder


def test_a_card_naming_other_classes_than_the_network_gives_cannot_be_used(bundled, tmp_path):
    folder = with_card(bundled, tmp_path / "model", classes=["covid", "normal"])
    with pytest.raises(ModelNotInstalled, match="the card names 2 classes, the network gives 3") as raised:
        Predictor.load(folder, threads=1)
    assert str(raised.value).startswith(f"the model folder {folder} cannot be used: ")


def test_a_card_with_another_input_size_than_the_network_takes_cannot_be_used(bundled, tmp_path):
    folder = with_card(bundled, tmp_path / "model", input_size=256)
    with pytest.raises(ModelNotInstalled, match="the card's input size is 256 px, the network takes 224 x 224 px"):
        Predictor.load(folder, threads=1)


def test_the_self_check_reads_a_picture_through_the_whole_predictor_quickly(bundled):
    predictor = Predictor.load(bundled, threads=1)
    started = time.perf_counter()
    predictor.self_check()
    assert time.perf_counter() - started < 2.0


def test_the_self_check_finds_what_the_graph_cannot_say(bundled, tmp_path):
    """A normalisation with two channels' numbers loads (nothing in the graph contradicts it) and
    fails every reading: the self-check says so once, as an unusable folder. (A card exported
    before its export recorded its network fields: with the record, the load refuses it.)"""
    card = json.loads((bundled / "model_card.json").read_text(encoding="utf-8"))
    normalisation = {**card["normalisation"], "mean": [0.5, 0.5], "std": [0.25, 0.25]}
    older = {key: value for key, value in card["export"].items() if key != "sha256"}
    predictor = Predictor.load(with_card(bundled, tmp_path / "model", normalisation=normalisation, export=older),
                               threads=1)
    with pytest.raises(ModelNotInstalled, match="a test picture could not be read through it"):
        predictor.self_check()


def test_a_card_whose_classes_were_reordered_after_export_cannot_be_used(bundled, tmp_path):
    """The operator audit reordered the card's classes (normal, pneumonia, covid): the load's
    checks passed, /healthz said "ok", and a COVID-19 film was read as "normal" (0.755). The
    export records what it wrote; a card changed since is refused."""
    folder = with_card(bundled, tmp_path / "model", classes=["normal", "pneumonia", "covid"])
    with pytest.raises(ModelNotInstalled, match="the card's classes, input size, normalisation or contrast "
                                                "differ from what was exported"):
        Predictor.load(folder, threads=1)


def test_a_network_or_guard_other_than_the_exported_one_cannot_be_used(bundled, tmp_path):
    """A model.onnx or ood.npz from another export beside this card (same classes, same input
    size, so nothing else tells) gave readings with the other model's calibration and guard."""
    card = json.loads((bundled / "model_card.json").read_text(encoding="utf-8"))
    for name in ("model.onnx", "ood.npz"):
        other = {**card["export"]["sha256"], name: "0" * 64}
        folder = with_card(bundled, tmp_path / name, export={**card["export"], "sha256": other})
        with pytest.raises(ModelNotInstalled, match=f"{name} is not the file this card was exported with"):
            Predictor.load(folder, threads=1)


def test_the_bundled_card_records_its_files_and_a_card_without_a_record_still_loads(bundled, tmp_path):
    import hashlib

    card = json.loads((bundled / "model_card.json").read_text(encoding="utf-8"))
    for name in ("model.onnx", "ood.npz"):
        assert card["export"]["sha256"][name] == hashlib.sha256((bundled / name).read_bytes()).hexdigest()
    older = {key: value for key, value in card["export"].items() if key != "sha256"}
    Predictor.load(with_card(bundled, tmp_path / "older", export=older), threads=1)  # exported before the record
