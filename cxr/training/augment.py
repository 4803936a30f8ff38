"""Augmentation on whole batches of tensors, on the training device.

`paper`: the paper's Keras ImageDataGenerator settings: shear 0.2 (Keras takes the shear range
in degrees), zoom 0.2 (x and y scale each in [0.8, 1.2]), rotation up to 10 degrees, horizontal
flip, nearest-edge fill. `paper+robust` adds what differs between hospitals: exposure
(brightness, contrast, gamma), resolution (down- and up-sampling), and sensor noise.
`paper+codec` adds only what a file format changes and a reader should ignore: JPEG
re-encoding and a grey level or two of noise. The bundled model moved by up to 0.22 between an
X-ray's PNG and its JPEG at quality 95, and by up to 0.67 under noise of half a grey level
(docs/results/format_consistency.md): it read pixel texture, which differs between sources.
`paper+codec-last` puts the codec where an upload has it, after the geometry and on every
image (quality 60-100), so that resampling does not soften its blocks before the model sees them.
`codec_views` gives both sides of that image (lossless and through the codec) for the training
loop's consistency loss (`TrainConfig.consistency`).
"""
from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

AUGMENTATIONS = ("none", "paper", "paper+robust", "paper+codec", "paper+codec-last")
# JPEG re-encoding of `paper+codec`: how often, and the range of qualities (phones and web
# exports use 70-95; 100 still rounds). Noise: sigma up to this many grey levels.
CODEC_JPEG_SHARE, CODEC_JPEG_QUALITY, CODEC_NOISE_LEVELS = 0.5, (60, 100), 2.0


def _uniform(n: int, lo: float, hi: float, device, generator) -> torch.Tensor:
    return torch.rand(n, device=device, generator=generator) * (hi - lo) + lo


def paper_affine(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random rotation, shear, zoom and horizontal flip of x (B, C, H, W) float."""
    b, dev = x.shape[0], x.device
    angle = torch.deg2rad(_uniform(b, -10.0, 10.0, dev, generator))
    shear = torch.deg2rad(_uniform(b, -0.2, 0.2, dev, generator))
    zoom_x = _uniform(b, 0.8, 1.2, dev, generator)
    zoom_y = _uniform(b, 0.8, 1.2, dev, generator)
    flip = torch.where(torch.rand(b, device=dev, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # theta maps output to input coordinates: rotation @ shear @ zoom, then the flip.
    rot = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    shr = torch.zeros(b, 2, 2, device=dev)
    shr[:, 0, 0], shr[:, 0, 1], shr[:, 1, 1] = 1.0, -torch.sin(shear), torch.cos(shear)
    zoom = torch.zeros(b, 2, 2, device=dev)
    zoom[:, 0, 0], zoom[:, 1, 1] = zoom_x, zoom_y
    lin = rot @ shr @ zoom
    lin[:, :, 0] = lin[:, :, 0] * flip[:, None]
    theta = torch.cat([lin, torch.zeros(b, 2, 1, device=dev)], dim=2).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def robust_photometric(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Exposure, resolution and noise changes of x (B, C, H, W) in [0, 1]."""
    b, dev = x.shape[0], x.device
    shape = (b, 1, 1, 1)
    gamma = torch.exp(_uniform(b, math.log(0.7), math.log(1.4), dev, generator)).view(shape)
    x = x.clamp(0, 1) ** gamma
    contrast = _uniform(b, 0.75, 1.33, dev, generator).view(shape)
    brightness = _uniform(b, -0.1, 0.1, dev, generator).view(shape)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean + brightness
    # Resolution: half the batch goes through a smaller image and back (blur, lost detail).
    low = torch.rand(b, device=dev, generator=generator) < 0.5
    if low.any():
        h, w = x.shape[-2:]
        scale = float(_uniform(1, 0.3, 0.8, dev, generator))
        small = F.interpolate(x[low], size=(max(8, int(h * scale)), max(8, int(w * scale))), mode="area")
        x = x.clone()
        x[low] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    noise = _uniform(b, 0.0, 0.03, dev, generator).view(shape)
    x = x + noise * torch.randn(x.shape, device=dev, generator=generator)
    return x.clamp(0, 1)


def recompresses(mode: str) -> bool:
    """Whether `mode` re-encodes images as JPEG (`to_input` then needs a codec generator)."""
    return mode in ("paper+codec", "paper+codec-last")


def codec_last(batch_uint8: torch.Tensor, generator: torch.Generator | None,
               rng: np.random.Generator) -> torch.Tensor:
    """`paper+codec-last`: (B, H, W) uint8 -> (B, 1, H, W) float in [0, 1]: the paper's geometry,
    then every image through JPEG (as 8-bit pixels, as a file holds them), then faint noise."""
    return _through_codec(_moved_pixels(batch_uint8, generator), generator, rng)


def codec_views(batch_uint8: torch.Tensor, generator: torch.Generator | None,
                rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two views of one geometric draw, each (B, 1, H, W) float in [0, 1]: the moved image as
    8-bit pixels (a lossless file of it) and the same pixels through JPEG and faint noise (the
    `paper+codec-last` image, from the same draws). A consistency loss between the two asks the
    model for one answer per X-ray, whichever file it came in."""
    moved = _moved_pixels(batch_uint8, generator)
    return moved.unsqueeze(1).float().div_(255.0), _through_codec(moved, generator, rng)


def _moved_pixels(batch_uint8: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """The paper's geometry on (B, H, W) uint8, back as 8-bit pixels (B, H, W)."""
    x = paper_affine(batch_uint8.unsqueeze(1).float().div_(255.0), generator)
    return (x[:, 0] * 255.0).round_().clamp_(0, 255).to(torch.uint8)


def _through_codec(pixels: torch.Tensor, generator: torch.Generator | None,
                   rng: np.random.Generator) -> torch.Tensor:
    """(B, H, W) uint8 -> (B, 1, H, W) float: every image through JPEG, then faint noise."""
    coded = jpeg_recompress(pixels, rng, share=1.0).unsqueeze(1).float().div_(255.0)
    return sensor_noise(coded, generator, CODEC_NOISE_LEVELS)


def jensen_shannon(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """Mean Jensen-Shannon divergence (nats) between the softmax of two logit batches (B, C):
    symmetric and bounded by log 2, as AugMix's consistency term (Hendrycks et al. 2020)."""
    p, q = F.softmax(logits_a.float(), dim=1), F.softmax(logits_b.float(), dim=1)
    log_middle = ((p + q) / 2).clamp_min(1e-7).log()
    return (F.kl_div(log_middle, p, reduction="batchmean") + F.kl_div(log_middle, q, reduction="batchmean")) / 2


def jpeg_recompress(batch_uint8: torch.Tensor, rng: np.random.Generator,
                    share: float = CODEC_JPEG_SHARE) -> torch.Tensor:
    """Each image of (B, H, W) uint8, with probability `share`, through a JPEG
    encoder at a random quality in CODEC_JPEG_QUALITY and back (Pillow's libjpeg, as uploads
    are decoded). On the CPU: libjpeg is the codec users' files went through."""
    images = batch_uint8.cpu().numpy()
    out = images.copy()
    for i in np.flatnonzero(rng.random(len(images)) < share):
        buffer = io.BytesIO()
        quality = int(rng.integers(CODEC_JPEG_QUALITY[0], CODEC_JPEG_QUALITY[1] + 1))
        Image.fromarray(images[i], "L").save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        out[i] = np.asarray(Image.open(buffer).convert("L"))
    return torch.from_numpy(out).to(batch_uint8.device)


def sensor_noise(x: torch.Tensor, generator: torch.Generator | None, max_levels: float) -> torch.Tensor:
    """Gaussian noise with a per-image sigma uniform in [0, max_levels] grey levels of 255."""
    sigma = _uniform(x.shape[0], 0.0, max_levels / 255.0, x.device, generator).view(-1, 1, 1, 1)
    return (x + sigma * torch.randn(x.shape, device=x.device, generator=generator)).clamp(0, 1)


def augment_images(batch_uint8: torch.Tensor, mode: str, generator: torch.Generator | None,
                   codec_rng: np.random.Generator | None = None) -> torch.Tensor:
    """(B, H, W) uint8 as stored -> (B, 1, H, W) float in [0, 1] augmented by `mode`.
    `codec_rng` draws the JPEG round trips of the modes that have them (`recompresses`)."""
    if recompresses(mode) and codec_rng is None:
        raise ValueError(f"augmentation {mode!r} re-encodes images: pass codec_rng")
    if mode == "paper+codec-last":
        return codec_last(batch_uint8, generator, codec_rng)
    if mode == "paper+codec":
        batch_uint8 = jpeg_recompress(batch_uint8, codec_rng)
    return augment_batch(batch_uint8.unsqueeze(1).float().div_(255.0), mode, generator)


def augment_batch(x: torch.Tensor, mode: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the augmentation `mode` to x (B, C, H, W) float in [0, 1]."""
    if mode not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {mode!r}; choose one of {AUGMENTATIONS}")
    if mode == "none":
        return x
    if mode == "paper+codec-last":
        raise ValueError("paper+codec-last works on uint8 images: use augment_images")
    x = paper_affine(x, generator)
    if mode == "paper+robust":
        x = robust_photometric(x, generator)
    if mode == "paper+codec":
        x = sensor_noise(x, generator, CODEC_NOISE_LEVELS)
    return x
