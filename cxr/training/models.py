"""The paper's architectures, built from timm, with the paper's head: GAP + one dense layer.

All layers stay trainable (the paper unfreezes everything). `forward_features` returns the last
convolutional feature maps and `get_classifier()` the dense layer, which is what the ONNX export
needs to compute class activation maps at serving time.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cxr.training.registry import arch_spec
from cxr.training.weights import load_pretrained


class GapDenseClassifier(nn.Module):
    """A timm backbone's convolutional trunk + global average pooling + a dense layer."""

    def __init__(self, backbone: nn.Module, num_features: int, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.forward_features(x)

    def get_classifier(self) -> nn.Linear:
        return self.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x).mean(dim=(2, 3)))


class TfSameMaxPool2d(nn.Module):
    """Max-pooling with TensorFlow's "same" padding: ceil(n / stride) outputs, the extra padding
    after the image (bottom/right) when the total is odd. torch's symmetric padding shifts the
    window by one pixel on even inputs, so Keras weights would see other maxima."""

    def __init__(self, kernel_size: int, stride: int):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def _pads(self, n: int) -> tuple[int, int]:
        total = max((math.ceil(n / self.stride) - 1) * self.stride + self.kernel_size - n, 0)
        return total // 2, total - total // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = self._pads(x.shape[-2])
        left, right = self._pads(x.shape[-1])
        x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)


def keras_layout(backbone: nn.Module, bn_eps: float) -> nn.Module:
    """Make a timm backbone compute what its Keras original computes: BatchNorm eps and "same"
    max-pools (both hold no weights, so checkpoints are unchanged)."""
    for module in backbone.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eps = bn_eps
        for name, child in module.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(module, name, TfSameMaxPool2d(int(child.kernel_size), int(child.stride)))
    return backbone


def _trunk(timm_name: str, bn_eps: float | None = None) -> nn.Module:
    import timm

    backbone = timm.create_model(timm_name, pretrained=False, num_classes=0)
    if hasattr(backbone, "pre_logits"):
        # timm's VGG ends in a 4096-wide conv MLP; the paper puts GAP + dense on the conv trunk.
        backbone.pre_logits = nn.Identity()
    if bn_eps is not None:
        keras_layout(backbone, bn_eps)
    return backbone


def build_model(arch: str, num_classes: int, pretrained: str = "none") -> GapDenseClassifier:
    """Build `arch` with `num_classes` outputs; `pretrained` is 'imagenet', 'none' or a file."""
    spec = arch_spec(arch)
    backbone = _trunk(spec.timm_name, spec.keras_bn_eps)
    origin = "none (trained from scratch)"
    if pretrained != "none":
        origin = load_pretrained(backbone, spec.name, pretrained)
    backbone.eval()
    with torch.no_grad():  # width of the last feature maps, whatever the family
        num_features = backbone.forward_features(torch.zeros(1, 3, 96, 96)).shape[1]
    backbone.train()
    model = GapDenseClassifier(backbone, num_features, num_classes)
    model.weights_origin = origin  # a sentence for the run's records (not saved in the state dict)
    return model
