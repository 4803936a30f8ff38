"""The codec augmentations: JPEG re-encoding of a batch's images and faint noise, drawn from the
run's own generators, as the training loop's `to_input` applies them."""
from __future__ import annotations

import argparse
import io

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from cxr.training import augment  # noqa: E402
from cxr.training.loop import to_input  # noqa: E402

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def batch() -> torch.Tensor:
    """16 different 96 px pictures with X-ray-like smooth structure and texture."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:96, 0:96]
    images = [np.clip(120 + 60 * np.sin(xx / (5 + i)) * np.cos(yy / 9) + rng.normal(0, 4, (96, 96)), 0, 255)
              for i in range(16)]
    return torch.from_numpy(np.stack(images).astype(np.uint8))


def test_about_half_the_batch_goes_through_the_jpeg_codec(batch):
    out = augment.jpeg_recompress(batch, np.random.default_rng(0))
    assert out.shape == batch.shape and out.dtype == torch.uint8
    changed = (out != batch).flatten(1).any(dim=1)
    assert 3 <= int(changed.sum()) <= 13
    for i in np.flatnonzero(changed.numpy()):
        # What changed is a JPEG of the image at one of the drawn qualities, not something else.
        original, recompressed = batch[i].numpy(), out[i].numpy()
        assert any(np.array_equal(recompressed, _jpeg(original, q)) for q in range(60, 101)), i
    for i in np.flatnonzero(~changed.numpy()):
        assert torch.equal(out[i], batch[i])


def test_the_codec_draws_repeat_with_the_seed_and_differ_without_it(batch):
    first = augment.jpeg_recompress(batch, np.random.default_rng(7))
    assert torch.equal(first, augment.jpeg_recompress(batch, np.random.default_rng(7)))
    assert not torch.equal(first, augment.jpeg_recompress(batch, np.random.default_rng(8)))


def test_noise_stays_within_a_few_grey_levels(batch):
    x = batch[:, None].float() / 255
    noisy = augment.sensor_noise(x, torch.Generator().manual_seed(0), max_levels=2.0)
    difference = (noisy - x) * 255
    assert float(difference.std()) > 0.3  # there is noise
    assert float(difference.abs().max()) < 2.0 * 6  # six sigma of the largest drawn level


def test_to_input_refuses_a_codec_augmentation_without_its_generator(batch):
    with pytest.raises(ValueError, match="codec_rng"):
        to_input(batch, "paper+codec", torch.Generator().manual_seed(0))
    x = to_input(batch, "paper+codec", torch.Generator().manual_seed(0), np.random.default_rng(0))
    assert x.shape == (16, 3, 96, 96) and torch.isfinite(x).all()


def test_codec_last_sends_every_image_through_the_codec_after_the_geometry(batch, monkeypatch):
    """Without noise and with an identity geometry it is exactly a JPEG of each image."""
    x = to_input(batch, "paper+codec-last", torch.Generator().manual_seed(0), np.random.default_rng(0))
    assert x.shape == (16, 3, 96, 96) and torch.isfinite(x).all()
    generator = torch.Generator().manual_seed(1)
    monkeypatch.setattr(augment, "paper_affine", lambda x, generator=None: x)
    monkeypatch.setattr(augment, "sensor_noise", lambda x, generator, max_levels: x)
    out = augment.codec_last(batch, generator, np.random.default_rng(0))
    pixels = (out[:, 0] * 255).round().to(torch.uint8).numpy()
    for i, image in enumerate(batch.numpy()):
        assert not np.array_equal(pixels[i], image) or np.array_equal(_jpeg(image, 100), image), i
        assert any(np.array_equal(pixels[i], _jpeg(image, q)) for q in range(60, 101)), i
    with pytest.raises(ValueError, match="augment_images"):
        augment.augment_batch(batch[:, None].float() / 255, "paper+codec-last")


def test_codec_views_are_one_geometry_lossless_and_through_the_codec(batch, monkeypatch):
    lossless, coded = augment.codec_views(batch, torch.Generator().manual_seed(2), np.random.default_rng(5))
    # The coded view is exactly codec-last's image from the same draws; the lossless one is the
    # same geometry held as 8-bit pixels.
    assert torch.equal(coded, augment.codec_last(batch, torch.Generator().manual_seed(2), np.random.default_rng(5)))
    moved = augment.paper_affine(batch.unsqueeze(1).float() / 255, torch.Generator().manual_seed(2))
    assert torch.equal(lossless, (moved * 255).round().clamp(0, 255) / 255)
    assert 0 < float((coded - lossless).abs().mean()) * 255 < 4  # a codec's change, not another image
    monkeypatch.setattr(augment, "sensor_noise", lambda x, generator, max_levels: x)
    lossless, coded = augment.codec_views(batch, torch.Generator().manual_seed(2), np.random.default_rng(5))
    for i in range(len(batch)):
        image = (lossless[i, 0] * 255).round().to(torch.uint8).numpy()
        pixels = (coded[i, 0] * 255).round().to(torch.uint8).numpy()
        assert any(np.array_equal(pixels, _jpeg(image, q)) for q in range(60, 101)), i


def test_jensen_shannon_is_zero_for_one_answer_and_grows_to_log_2():
    a = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    assert float(augment.jensen_shannon(a, a)) == pytest.approx(0.0, abs=1e-6)
    b = torch.tensor([[0.0, 2.0, -1.0], [1.0, 0.0, 0.0]])
    assert float(augment.jensen_shannon(a, b)) == pytest.approx(float(augment.jensen_shannon(b, a)))
    assert 0 < float(augment.jensen_shannon(a, b)) < float(np.log(2))
    opposite = torch.tensor([[30.0, -30.0, -30.0]]), torch.tensor([[-30.0, 30.0, -30.0]])
    assert float(augment.jensen_shannon(*opposite)) == pytest.approx(np.log(2), abs=1e-4)


def test_every_augmentation_is_offered_by_the_command_line():
    from cxr.cli.train import add_train_options

    parser = argparse.ArgumentParser()
    add_train_options(parser)
    action = next(a for a in parser._actions if a.dest == "augment")
    assert tuple(action.choices) == augment.AUGMENTATIONS


def _jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(gray, "L").save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
