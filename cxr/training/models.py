"""The paper's architectures, built from timm, with the paper's head: GAP + one dense layer.

All layers stay trainable (the paper unfreezes everything). `forward_features` returns the last
convolutional feature maps and `get_classifier()` the dense layer, which is what the ONNX export
needs to compute class activation maps at serving time.
"""
from __future__ import annotations

import torch
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


def _trunk(timm_name: str) -> nn.Module:
    import timm

    backbone = timm.create_model(timm_name, pretrained=False, num_classes=0)
    if hasattr(backbone, "pre_logits"):
        # timm's VGG ends in a 4096-wide conv MLP; the paper puts GAP + dense on the conv trunk.
        backbone.pre_logits = nn.Identity()
    return backbone


def build_model(arch: str, num_classes: int, pretrained: str = "none") -> GapDenseClassifier:
    """Build `arch` with `num_classes` outputs; `pretrained` is 'imagenet', 'none' or a file."""
    spec = arch_spec(arch)
    backbone = _trunk(spec.timm_name)
    if pretrained != "none":
        load_pretrained(backbone, spec.name, pretrained)
    backbone.eval()
    with torch.no_grad():  # width of the last feature maps, whatever the family
        num_features = backbone.forward_features(torch.zeros(1, 3, 96, 96)).shape[1]
    backbone.train()
    return GapDenseClassifier(backbone, num_features, num_classes)
