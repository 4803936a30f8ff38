"""A small lung-field segmenter: which pixels of a frontal chest X-ray are lung.

What it is for: the app's heat map should lie on the lungs; when a reading's heat map lies
mostly elsewhere (borders, labels, the mediastinum) the reading rests on something other than
the lungs and the app says so. The only outlines available offline are the 466 masks in
../shared (77 adult COVID-19 figures of the Cohen collection, 389 Kermany children), so the
network is deliberately small (a four-level U-Net, about half a million weights, 128 px): it has to
learn "lung field", not a hospital.

Reliability is measured leaving each source out (train on the children, score the adults, and
the other way round) before the shipped model is fitted on all masks; `python -m cxr
lung-field` does all three and writes the numbers next to the ONNX file.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cxr.evaluation.heatmap_check import IGNORE, LUNG, MASK_INDEX
from cxr.inference.decode import decode_image
from cxr.preprocess import prepare_gray

SIZE = 128  # the segmenter's input and output side; masks are scaled to the served image after


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


class LungUNet(nn.Module):
    """U-Net (Ronneberger et al. 2015) with four levels and `base` channels at the top.

    Input (N, 1, S, S) float in [0, 1] (the served image, prepared as for the classifier);
    output (N, 1, S, S) logits of "lung".
    """

    def __init__(self, base: int = 12):
        super().__init__()
        widths = [base, base * 2, base * 4, base * 8]
        self.down = nn.ModuleList()
        c_in = 1
        for w in widths:
            self.down.append(_block(c_in, w))
            c_in = w
        self.bottom = _block(widths[-1], widths[-1] * 2)
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        c_in = widths[-1] * 2
        for w in reversed(widths):
            self.up.append(nn.ConvTranspose2d(c_in, w, 2, stride=2))
            self.merge.append(_block(2 * w, w))
            c_in = w
        self.out = nn.Conv2d(widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips), strict=True):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.out(x)


def load_pairs(cxr_dir: str | Path) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Images and masks of ../shared/data/cxr's lung_masks, both at SIZE x SIZE.

    The image goes through `decode_image` + `prepare_gray`, exactly as a served upload does; the
    mask is squashed to the same square (nearest neighbour, so 0/127/255 stay themselves).
    Returns images uint8 (N, S, S), masks uint8 (N, S, S) and the index with a `source` column.
    """
    cxr_dir = Path(cxr_dir)
    index = pd.read_csv(cxr_dir / MASK_INDEX)
    images, masks = [], []
    for row in index.itertuples():
        gray = decode_image(cxr_dir / row.image).gray
        images.append(prepare_gray(gray, SIZE))
        mask = Image.open(cxr_dir / row.mask).convert("L").resize((SIZE, SIZE), Image.Resampling.NEAREST)
        masks.append(np.asarray(mask, np.uint8))
    index["source"] = index["image"].map(lambda p: Path(p).name.split("__")[0])
    # The two Kermany copies are one collection: held out together.
    index["group"] = index["source"].replace({"skytells": "kermany", "zargari": "kermany"})
    return np.stack(images), np.stack(masks), index


def _joint_affine(images: torch.Tensor, targets: torch.Tensor, generator: torch.Generator
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random rotation (+-12 deg), zoom (0.8-1.2), shift (+-8%) and left-right flip for
    an image batch and its masks; masks resampled nearest so "ignore" stays "ignore"."""
    b = images.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    angle = torch.deg2rad(uniform(-12, 12))
    zoom = uniform(0.8, 1.2)
    flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = torch.cos(angle) / zoom * flip
    theta[:, 0, 1] = -torch.sin(angle) / zoom
    theta[:, 1, 0] = torch.sin(angle) / zoom * flip
    theta[:, 1, 1] = torch.cos(angle) / zoom
    theta[:, :, 2] = torch.stack([uniform(-0.08, 0.08), uniform(-0.08, 0.08)], dim=1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # Outside the image after the move: counted as "not lung" (zeros padding of the 0/1 map).
    targets = F.grid_sample(targets, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return images, targets


def _exposure(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Hospitals expose differently: random gamma (0.6-1.6), contrast (0.7-1.3), brightness."""
    b = images.shape[0]
    gamma = torch.exp(torch.rand(b, 1, 1, 1, generator=generator) * (math.log(1.6) - math.log(0.6)) + math.log(0.6))
    contrast = torch.rand(b, 1, 1, 1, generator=generator) * 0.6 + 0.7
    shift = torch.rand(b, 1, 1, 1, generator=generator) * 0.2 - 0.1
    out = images.clamp(1e-4, 1.0) ** gamma
    out = (out - 0.5) * contrast + 0.5 + shift
    return out.clamp(0.0, 1.0)


def _loss(logits: torch.Tensor, lung: torch.Tensor, counted: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy + soft Dice over the counted pixels (Dice keeps small lungs honest)."""
    bce = F.binary_cross_entropy_with_logits(logits, lung, reduction="none")
    bce = (bce * counted).sum() / counted.sum().clamp_min(1.0)
    prob = torch.sigmoid(logits) * counted
    inter = (prob * lung).sum(dim=(1, 2, 3))
    denom = prob.sum(dim=(1, 2, 3)) + (lung * counted).sum(dim=(1, 2, 3))
    dice = 1.0 - (2 * inter + 1.0) / (denom + 1.0)
    return bce + dice.mean()


def train_lung_field(images: np.ndarray, masks: np.ndarray, epochs: int = 40, batch_size: int = 16,
                     lr: float = 2e-3, seed: int = 0, base: int = 12,
                     log: Callable[[str], None] = print) -> LungUNet:
    """Fit a LungUNet on uint8 images (N, S, S) and masks (0 / IGNORE / LUNG). CPU is enough."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = LungUNet(base)
    x_all = torch.from_numpy(images).float().div(255.0)[:, None]
    lung_all = torch.from_numpy(masks == LUNG).float()[:, None]
    counted_all = torch.from_numpy(masks != IGNORE).float()[:, None]
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    started = time.monotonic()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            targets = torch.cat([lung_all[batch], counted_all[batch]], dim=1)
            x, targets = _joint_affine(x_all[batch], targets, generator)
            x = _exposure(x, generator)
            loss = _loss(model(x), targets[:, :1], targets[:, 1:])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        if epoch % 5 == 4 or epoch == epochs - 1:
            log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(images):.4f} "
                f"({time.monotonic() - started:.0f} s)")
    return model.eval()


@torch.no_grad()
def lung_probabilities(model: LungUNet, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """uint8 (N, S, S) -> float32 (N, S, S) probability of lung."""
    out = []
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(images[start:start + batch_size]).float().div(255.0)[:, None]
        out.append(torch.sigmoid(model(x))[:, 0].numpy())
    return np.concatenate(out)
