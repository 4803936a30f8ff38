"""An independent numpy reading of a Keras functional model (the parity tests' reference).

It interprets the archive's `config.json` graph layer by layer (Conv2D, SeparableConv2D,
BatchNormalization, Activation, MaxPooling2D, Add) with TensorFlow's padding rules, in float64
and NHWC as Keras computes, using the arrays `cxr.training.keras_weights.read_keras_archive`
found for each layer name. It shares no code with timm or torch: what it returns is what the
Keras model outputs, layer by layer, for a given input.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _same_pads(n: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(n / stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kernel: int, stride: int, padding: str, value: float = 0.0) -> np.ndarray:
    if padding == "valid":
        return x
    rows, cols = _same_pads(x.shape[1], kernel, stride), _same_pads(x.shape[2], kernel, stride)
    return np.pad(x, ((0, 0), rows, cols, (0, 0)), constant_values=value)


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(N, H', W', C, kh, kw) views of the padded input."""
    return sliding_window_view(x, (kernel, kernel), axis=(1, 2))[:, ::stride, ::stride]


def _layer(kind: str, cfg: dict, arrays: list[np.ndarray], inputs: list[np.ndarray]) -> np.ndarray:
    x = inputs[0]
    if kind == "Conv2D":
        k, stride = cfg["kernel_size"][0], cfg["strides"][0]
        win = _windows(_pad(x, k, stride, cfg["padding"]), k, stride)
        y = np.einsum("nhwcij,ijco->nhwo", win, arrays[0].astype(np.float64), optimize=True)
        return y + arrays[1] if cfg["use_bias"] else y
    if kind == "SeparableConv2D":
        k, stride = cfg["kernel_size"][0], cfg["strides"][0]
        win = _windows(_pad(x, k, stride, cfg["padding"]), k, stride)
        depth = np.einsum("nhwcij,ijc->nhwc", win, arrays[0][..., 0].astype(np.float64), optimize=True)
        return depth @ arrays[1][0, 0].astype(np.float64)
    if kind == "BatchNormalization":
        gamma, beta, mean, var = (a.astype(np.float64) for a in arrays)
        return (x - mean) / np.sqrt(var + cfg["epsilon"]) * gamma + beta
    if kind == "Activation":
        assert cfg["activation"] == "relu", cfg["activation"]
        return np.maximum(x, 0)
    if kind == "MaxPooling2D":
        k, stride = cfg["pool_size"][0], cfg["strides"][0]
        return _windows(_pad(x, k, stride, cfg["padding"], -np.inf), k, stride).max(axis=(4, 5))
    if kind == "Add":
        return sum(inputs)
    raise NotImplementedError(kind)


def keras_forward(archive, image_nhwc: np.ndarray, keep: set[str] | None = None,
                  until: str | None = None) -> dict[str, np.ndarray]:
    """Outputs of the layers named in `keep` (all when None) for a preprocessed NHWC input."""
    outputs: dict[str, np.ndarray] = {}
    kept: dict[str, np.ndarray] = {}
    for layer in archive.layers:
        kind, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
        if kind == "InputLayer":
            outputs[name] = image_nhwc.astype(np.float64)
        else:
            sources = [arg["config"]["keras_history"][0]
                       for node in layer["inbound_nodes"] for arg in _tensors(node["args"])]
            outputs[name] = _layer(kind, cfg, archive.weights[name], [outputs[s] for s in sources])
        if keep is None or name in keep:
            kept[name] = outputs[name]
        if name == until:
            break
    return kept


def _tensors(args):
    for arg in args:
        if isinstance(arg, list):
            yield from _tensors(arg)
        elif isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            yield arg
