"""The heat maps of out-of-source readings: for every held-out image, the class activation map of
the class its fold's model predicted, drawn at the model's input size.

What `python -m cxr lung-field --oos` needs to ask whether readings whose heat map lies off the
lungs are less often right on hospitals the model never saw. Same CAM as the served model
(cxr.inference.cam: the head's weights on the last feature maps, positive part, upsampled).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from cxr.data.cache import cached_images
from cxr.data.splits import read_split
from cxr.inference.cam import heatmap_from_cam
from cxr.training.loop import load_checkpoint, to_input


@torch.no_grad()
def fold_heatmaps(fold_dir: Path, cache_dir: str | None = None, batch_size: int = 64
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of (split rows, prepared images uint8 (B, S, S), logits (B, C), heat maps (B, S, S))
    of one fold's held-out (`test`) images."""
    model, ckpt = load_checkpoint(fold_dir / "run" / "best.pt")
    size = int(ckpt["img_size"])
    split = read_split(fold_dir / "split.csv")
    rows = np.flatnonzero(split["subset"].to_numpy() == "test")
    images = cached_images(list(split["path"].iloc[rows]), size=size,
                           contrast=ckpt.get("contrast", "none"), cache_dir=cache_dir)
    weights = model.get_classifier().weight
    for start in range(0, len(rows), batch_size):
        batch = np.array(images[start:start + batch_size])
        maps = model.forward_features(to_input(torch.from_numpy(batch), "none", None))
        logits = model.get_classifier()(maps.mean(dim=(2, 3)))
        cams = torch.einsum("kc,nchw->nkhw", weights, maps).numpy()
        top = logits.argmax(dim=1).numpy()
        heat = np.stack([heatmap_from_cam(cam[k], (size, size)) for cam, k in zip(cams, top, strict=True)])
        yield rows[start:start + batch_size], batch, logits.numpy(), heat

