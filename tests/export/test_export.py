"""`cxr export`: the ONNX graph matches PyTorch on real X-rays, and the card says what it should.

Runs on the tiny 3-epoch model of the root conftest.py: it proves the export's numerics and the
card's format, not the bundled model's accuracy.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from cxr.evaluation.runs import portable_path

pytestmark = pytest.mark.train
torch = pytest.importorskip("torch")


def _prepared_real_images(xray_paths, size, contrast):
    from cxr.inference import decode_image
    from cxr.preprocess import prepare_gray

    paths = [p for label in sorted(xray_paths) for p in xray_paths[label][:4]]
    return np.stack([prepare_gray(decode_image(p).gray, size, contrast) for p in paths])


def test_onnx_agrees_with_pytorch_on_real_images(trained_run, tiny_model_dir, xray_paths):
    import onnxruntime as ort

    from cxr.export.bundle import check_agreement
    from cxr.training.loop import load_checkpoint

    model, ckpt = load_checkpoint(trained_run / "best.pt")
    session = ort.InferenceSession(str(tiny_model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    prepared = _prepared_real_images(xray_paths, ckpt["img_size"], ckpt["contrast"])
    agreement = check_agreement(model, session, prepared)
    assert agreement["images"] == len(prepared) >= 8
    assert agreement["max_abs_probability_diff"] < 1e-4
    assert agreement["max_abs_logit_diff"] < 1e-3


def test_graph_has_dynamic_batch_and_cam_is_head_applied_to_features(trained_run, tiny_model_dir, xray_paths):
    import onnx
    import onnxruntime as ort

    from cxr.preprocess import to_tensor_layout
    from cxr.training.loop import load_checkpoint

    graph = onnx.load(str(tiny_model_dir / "model.onnx"))
    assert max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert [o.name for o in graph.graph.output] == ["logits", "features", "cam"]

    model, ckpt = load_checkpoint(trained_run / "best.pt")
    session = ort.InferenceSession(str(tiny_model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    x = to_tensor_layout(_prepared_real_images(xray_paths, ckpt["img_size"], ckpt["contrast"]))
    for batch in (x[:1], x[:5]):  # two batch sizes through one graph
        logits, features, cam = session.run(None, {"input": batch})
        assert logits.shape == (len(batch), 3) and cam.shape[:2] == (len(batch), 3)
        head = model.get_classifier()
        weight, bias = head.weight.detach().numpy(), head.bias.detach().numpy()
        np.testing.assert_allclose(cam, np.einsum("ck,nkhw->nchw", weight, features), rtol=1e-4, atol=1e-4)
        # For GAP + dense, the spatial mean of a class's CAM plus its bias is that class's logit.
        np.testing.assert_allclose(cam.mean(axis=(2, 3)) + bias, logits, rtol=1e-4, atol=1e-4)


def test_model_card_holds_the_documented_fields(trained_run, tiny_model_dir):
    card = json.loads((tiny_model_dir / "model_card.json").read_text())
    ckpt = torch.load(trained_run / "best.pt", map_location="cpu", weights_only=False)
    assert card["classes"] == ["covid", "pneumonia", "normal"]
    assert card["input_size"] == ckpt["img_size"] and card["contrast"] == ckpt["contrast"]
    assert card["temperature"] > 0
    assert 0 <= card["ece_before"] <= 1 and 0 <= card["ece_after"] <= 1
    assert card["training"]["code_version"] == ckpt["code_version"]
    assert card["training"]["data"] == json.loads(json.dumps(ckpt["data"]))
    assert card["training"]["split"]["csv"] == portable_path(ckpt["split"]["csv"])
    report = card["metrics"]["random"]
    assert report["n"] == ckpt["data"]["test"]["n"]
    assert set(report["accuracy"]) == {"value", "ci95"}
    assert set(report["per_class"]) == {"covid", "pneumonia", "normal"}
    ood = card["ood"]
    assert ood["threshold"] > 0 and 0 <= ood["false_refusal_rate_test"] <= 1
    # The served guard is the one the card describes: mean of the two scores, with the margin.
    from cxr.export.bundle import OOD_UNSEEN_MARGIN
    from cxr.inference.guard.detectors import load_detector

    guard = load_detector(tiny_model_dir / "ood.npz")
    assert (guard.combine, ood["combine"]) == ("mean", "mean")
    assert guard.threshold == pytest.approx(ood["threshold"]) and ood["unseen_hospital_margin"] == OOD_UNSEEN_MARGIN
    assert ood["negative_set"]["n"] >= 30 and 0 <= ood["negative_refusal_rate"] <= 1
    assert any("RT-PCR" in text for text in card["limitations"])
    for relative in card["plots"].values():
        assert (tiny_model_dir / relative).read_bytes().startswith(b"\x89PNG")
    assert card["export"]["agreement_onnx_vs_pytorch"]["max_abs_probability_diff"] < 1e-4
    # What it wrote, for the load to check (a card and files that no longer belong together).
    import hashlib

    for name in ("model.onnx", "ood.npz"):
        assert card["export"]["sha256"][name] == hashlib.sha256((tiny_model_dir / name).read_bytes()).hexdigest()
    assert not (tiny_model_dir.parent / (tiny_model_dir.name + ".partial")).exists()


def test_the_card_says_how_much_of_the_heat_maps_lies_on_the_lungs(tiny_model_dir, cxr_dir):
    card = json.loads((tiny_model_dir / "model_card.json").read_text())
    check = card["heatmap_check"]
    masks = (cxr_dir / "lung_masks" / "index.csv").read_text().splitlines()[1:]
    assert check["images"] == len(masks)
    assert sum(part["images"] for part in check["by_label"].values()) == len(masks)
    assert 0 < check["lung_area"] < check["best_possible"] < 1
    assert 0 <= check["heat_on_lungs"] <= 1 and 0 <= check["peak_on_lungs"] <= 1
    # The heat-map limitation quotes the measured numbers (and is translatable by its code).
    notice = card["limitation_notices"][-1]
    assert notice["code"] == "card_heatmap_measured"
    assert notice["params"]["images"] == len(masks)
    assert notice["params"]["on_lungs_percent"] == pytest.approx(100 * check["heat_on_lungs"])
    assert f"On {len(masks)} X-rays with outlined lungs" in card["limitations"][-1]


def test_extra_metrics_of_another_evaluation_are_included(tiny_model_dir):
    card = json.loads((tiny_model_dir / "model_card.json").read_text())
    extra = card["metrics"]["again"]
    assert extra["from"].endswith("metrics.json")
    assert extra["n"] == card["metrics"]["random"]["n"]  # the same test subset, evaluated by torch
    # Accuracy does not depend on the temperature: PyTorch and the served ONNX model agree.
    assert extra["accuracy"]["value"] == pytest.approx(card["metrics"]["random"]["accuracy"]["value"])


def test_committed_card_fields_name_paths_relative_to_the_project(tmp_path, monkeypatch):
    # Cards are committed: a path under the project root must not name anyone's home folder.
    from cxr.export.bundle import _load_extra_metrics, _portable_split

    monkeypatch.chdir(tmp_path)
    metrics = tmp_path / "runs" / "r" / "eval" / "metrics.json"
    metrics.parent.mkdir(parents=True)
    metrics.write_text(json.dumps({"checkpoint": str(tmp_path / "runs" / "r" / "best.pt"),
                                   "split_csv": str(tmp_path / "var" / "3class_random_s0.csv"),
                                   "arch": "EfficientNet-Lite0", "subsets": {"test": {"n": 3}}}))
    extra = _load_extra_metrics(metrics)
    assert extra["from"] == "runs/r/eval/metrics.json" and extra["n"] == 3
    assert extra["model"] == {"checkpoint": "runs/r/best.pt", "split_csv": "var/3class_random_s0.csv",
                              "arch": "EfficientNet-Lite0"}
    split = _portable_split({"csv": str(tmp_path / "var" / "s.csv"), "seed": 0})
    assert split == {"csv": "var/s.csv", "seed": 0}
    elsewhere = tmp_path.parent / "elsewhere.csv"  # outside the project: kept absolute
    assert _portable_split({"csv": str(elsewhere)})["csv"] == str(elsewhere.resolve())


def test_export_over_a_model_keeps_the_lung_field_and_drops_the_stale_verifier(tiny_model_dir, tmp_path):
    # Re-exporting into a served folder: the lung field reads only the image, so it and its card
    # section stay (else the app silently stops its heat-map check); the verifier reads the old
    # network's features, so it must go until it is refitted.
    from cxr.export.bundle import _install, _with_kept_parts
    from cxr.inference.card import LungFieldCheck, ModelCard

    served = tmp_path / "served"
    served.mkdir()
    section = LungFieldCheck(file="lung_field.onnx", reliable=True, warn_below=0.5, epochs=30)
    ModelCard.load(tiny_model_dir).replace(lung_field=section).write(served)
    (served / "lung_field.onnx").write_bytes(b"segmenter")
    (served / "verifier.npz").write_bytes(b"old verifier")
    new = tmp_path / "served.partial"
    new.mkdir()
    (new / "model.onnx").write_bytes(b"new network")
    messages = []
    card = _with_kept_parts(ModelCard.load(tiny_model_dir), served, messages.append)
    assert card.lung_field == section
    card.write(new)
    _install(new, served, messages.append)
    assert ModelCard.load(served).lung_field.warn_below == 0.5
    assert (served / "lung_field.onnx").read_bytes() == b"segmenter"
    assert (served / "model.onnx").read_bytes() == b"new network"
    assert not (served / "verifier.npz").exists() and not new.exists()
    assert any("guard_verifier" in m for m in messages)
    # Without the segmenter's file there is nothing to keep a section for.
    (served / "lung_field.onnx").unlink()
    assert _with_kept_parts(ModelCard.load(tiny_model_dir), served, messages.append).lung_field is None
