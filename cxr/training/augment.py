"""Augmentation on whole batches of tensors, on the training device.

`paper`: the paper's Keras ImageDataGenerator settings: shear 0.2 (Keras takes the shear range
in degrees), zoom 0.2 (x and y scale each in [0.8, 1.2]), rotation up to 10 degrees, horizontal
flip, nearest-edge fill. `paper+robust` adds what differs between hospitals: exposure
(brightness, contrast, gamma), resolution (down- and up-sampling), and sensor noise.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

AUGMENTATIONS = ("none", "paper", "paper+robust")


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


def augment_batch(x: torch.Tensor, mode: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the augmentation `mode` to x (B, C, H, W) float in [0, 1]."""
    if mode not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {mode!r}; choose one of {AUGMENTATIONS}")
    if mode == "none":
        return x
    x = paper_affine(x, generator)
    if mode == "paper+robust":
        x = robust_photometric(x, generator)
    return x
