"""A tiny but real model directory for tests that need the serving stack, not accuracy.

The network is a genuine ONNX graph with the exported model's interface (docs/architecture.md):
input `input` (N, 3, S, S); outputs `logits` (N, C), `features` (N, K, h, w) and `cam`
(N, C, h, w). It is one strided convolution and a 1x1 head, with fixed random weights, built
with the `onnx` package in milliseconds (no torch). The OOD statistics are fitted on the real
X-rays passed in, exactly as `cxr export` fits them, so real X-rays pass the guard.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CLASSES = ["covid", "pneumonia", "normal"]
INPUT_SIZE = 64
FEATURES = 16
PATCH = 8  # 64 px / 8 -> 8 x 8 feature maps


def _onnx_graph(rng: np.random.Generator):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    conv_w = rng.normal(0, 0.2, (FEATURES, 3, PATCH, PATCH)).astype(np.float32)
    conv_b = rng.normal(0, 0.1, FEATURES).astype(np.float32)
    head_w = rng.normal(0, 0.5, (len(CLASSES), FEATURES, 1, 1)).astype(np.float32)
    head_b = np.zeros(len(CLASSES), np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["conv"],
                         kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH]),
        helper.make_node("Relu", ["conv"], ["features"]),
        helper.make_node("Conv", ["features", "head_w"], ["cam"], kernel_shape=[1, 1]),
        # The mean of the class maps is the head applied to the pooled features (linearity).
        helper.make_node("ReduceMean", ["cam"], ["pooled_cam"], axes=[2, 3], keepdims=0),
        helper.make_node("Add", ["pooled_cam", "head_b"], ["logits"]),
    ]
    side = INPUT_SIZE // PATCH
    graph = helper.make_graph(
        nodes, "tiny-cxr",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                              ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        outputs=[
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", len(CLASSES)]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", FEATURES, side, side]),
            helper.make_tensor_value_info("cam", TensorProto.FLOAT, ["N", len(CLASSES), side, side]),
        ],
        initializer=[numpy_helper.from_array(a, name) for name, a in
                     (("conv_w", conv_w), ("conv_b", conv_b), ("head_w", head_w), ("head_b", head_b))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _card() -> dict:
    return {
        "name": "tiny-test-model",
        "version": "test-0",
        "classes": CLASSES,
        "task": "3class",
        "input_size": INPUT_SIZE,
        "contrast": "none",
        "normalisation": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "temperature": 1.0,
        "ood": {"method": "mahalanobis-tied-ledoit-wolf"},
        "architecture": "tiny test network (not for diagnosis)",
        "limitations": ["A test fixture with random weights: its readings mean nothing."],
        "metrics": {},
        "plots": [],
    }


def build_tiny_model(folder: Path, calibration_images: list[Path], seed: int = 0) -> Path:
    """Write model.onnx, model_card.json and ood.npz into `folder`; return it."""
    import onnx

    from cxr.inference import Predictor
    from cxr.inference.guard.detectors import MahalanobisDetector

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(_onnx_graph(np.random.default_rng(seed)), folder / "model.onnx")
    card = _card()
    # A placeholder detector so the Predictor loads; the real statistics replace it below.
    placeholder = MahalanobisDetector(np.zeros((len(CLASSES), FEATURES)), np.eye(FEATURES), np.inf, 0.0)
    placeholder.save(folder / "ood.npz")
    (folder / "model_card.json").write_text(json.dumps(card), encoding="utf-8")

    predictor = Predictor.load(folder, threads=1)
    from cxr.preprocess import prepare_gray

    prepared = np.stack([
        prepare_gray(predictor.decode(path).gray, INPUT_SIZE, "none") for path in calibration_images
    ])
    _logits, _cams, pooled = predictor.run_model(prepared)
    # Random weights know no classes: spread the X-rays over them evenly, one mean each.
    labels = np.arange(len(pooled)) % len(CLASSES)
    detector = MahalanobisDetector.fit(pooled, labels, len(CLASSES))
    # Generous (ten times the farthest calibration X-ray): a few dozen samples estimate the
    # covariance poorly, and these tests need unseen real X-rays to be accepted.
    detector.threshold = float(detector.scores(pooled).max() * 10.0)
    detector.save(folder / "ood.npz")
    card["ood"]["threshold"] = detector.threshold
    (folder / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    return folder
