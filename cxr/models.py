"""The paper's architectures, built from timm, with the paper's head: GAP + one dense layer.

All layers stay trainable (the paper unfreezes everything). `forward_features` returns the last
convolutional feature maps and `get_classifier()` the dense layer, which is what the ONNX export
needs to compute class activation maps at serving time.
"""
from __future__ import annotations

import torch
from torch import nn

# The paper's names -> timm's names. Keys are matched case-insensitively.
ARCHITECTURES: dict[str, str] = {
    "Xception": "legacy_xception",
    "VGG16": "vgg16",
    "VGG19": "vgg19",
    "ResNet50": "resnet50",
    "ResNet101": "resnet101",
    "ResNet152": "resnet152",
    "InceptionV3": "inception_v3",
    "InceptionResNetV2": "inception_resnet_v2",
    "DenseNet121": "densenet121",
    "DenseNet169": "densenet169",
    "DenseNet201": "densenet201",
    # Small, fast models with ImageNet weights that install offline (see cxr.weights).
    "EfficientNet-Lite0": "tf_efficientnet_lite0",
    "EfficientNet-Lite1": "tf_efficientnet_lite1",
    "EfficientNet-Lite2": "tf_efficientnet_lite2",
    "MobileNetV2": "mobilenetv2_100",
}
PAPER_ARCHITECTURES = tuple(list(ARCHITECTURES)[:11])


def canonical_arch(name: str) -> str:
    """The paper's spelling of an architecture name ('resnet50' -> 'ResNet50')."""
    wanted = name.replace("_", "").replace("-", "").lower()
    for arch, timm_name in ARCHITECTURES.items():
        if wanted in (arch.replace("-", "").lower(), timm_name.replace("_", "").lower()):
            return arch
    raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}")


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
    from cxr.weights import load_pretrained

    arch = canonical_arch(arch)
    backbone = _trunk(ARCHITECTURES[arch])
    if pretrained != "none":
        load_pretrained(backbone, arch, pretrained)
    backbone.eval()
    with torch.no_grad():  # width of the last feature maps, whatever the family
        num_features = backbone.forward_features(torch.zeros(1, 3, 96, 96)).shape[1]
    backbone.train()
    return GapDenseClassifier(backbone, num_features, num_classes)
