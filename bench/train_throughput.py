"""Training throughput: the real data pipeline against synthetic tensors, same device, same run.

For each architecture, a training step (forward, backward, Adam update) is timed twice:
- `real`: what `cxr.training.loop` does per batch: rows sliced from the memory-mapped uint8 cache of real
  X-rays (../shared), copied to the device, augmented (`--augment`, default the paper's) and
  normalised there by `cxr.training.loop.to_input`;
- `synthetic`: a float tensor already on the device (the model's ceiling).
The ratio real/synthetic says how much the input pipeline costs: near 1.0, the model is the
bottleneck; well below, the data path is. The `pipeline only` column times the data path
alone.

    .venv/bin/python bench/train_throughput.py                 # CPU: 3 steps of 4 images, 128 px
    .venv/bin/python bench/train_throughput.py --device cuda --steps 30 --batch-size 32
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from cxr.evaluation import markdown

REPO = Path(__file__).resolve().parent.parent
SHARED_CXR = Path(os.environ.get("CXR_SHARED_DATA", REPO.parent / "shared" / "data")) / "cxr"


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def real_images(n: int, size: int, cache_dir: Path) -> np.ndarray:
    """`n` real X-rays from every class and source, through the training cache (built once)."""
    from cxr.data.cache import cached_images
    from cxr.data.index import import_shared_manifest

    index = import_shared_manifest(SHARED_CXR)
    per_label = [rows.sample(min(len(rows), n // 3 + 1), random_state=0)
                 for _, rows in index.groupby("label")]
    paths = [p for rows in per_label for p in rows["path"]][:n]
    return cached_images(paths, size=size, cache_dir=cache_dir)


def time_interleaved(steps: dict, n: int, warmup: int, device) -> dict[str, float]:
    """Median seconds per step of each named step function, run in turns.

    Taking turns (A, B, A, B, ...) exposes both modes to the same background load, which on a
    shared machine matters more than anything else; the median drops the odd stalled step.
    """
    for _ in range(warmup):  # allocator, cuDNN autotuning, first-touch of the cache
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(n):
        for name, step in steps.items():
            _sync(device)
            started = time.perf_counter()
            step()
            _sync(device)
            times[name].append(time.perf_counter() - started)
    return {name: float(np.median(t)) for name, t in times.items()}


def bench_arch(arch: str, images: np.ndarray, args, device) -> dict[str, float]:
    import torch
    import torch.nn.functional as F

    from cxr.training.loop import _autocast, to_input
    from cxr.training.models import build_model

    model = build_model(arch, 3, pretrained="none").to(device)
    model = model.to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    generator = torch.Generator(device=device).manual_seed(0)
    bs = args.batch_size
    targets = torch.randint(0, 3, (bs,), device=device)

    def optimise(x):
        with _autocast(device):
            loss = F.cross_entropy(model(x).float(), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def real_batch():
        rows = np.sort(rng.choice(len(images), size=bs, replace=False))
        batch = torch.from_numpy(np.array(images[rows])).to(device, non_blocking=True)
        return to_input(batch, args.augment, generator, rng)

    synthetic = torch.randn(bs, 3, args.img_size, args.img_size, device=device)
    synthetic = synthetic.contiguous(memory_format=torch.channels_last)
    seconds = time_interleaved(
        {
            "synthetic": lambda: optimise(synthetic),
            "real": lambda: optimise(real_batch()),
            "pipeline only": real_batch,
        },
        args.steps, args.warmup, device,
    )
    return {mode: bs / s for mode, s in seconds.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", default="ResNet50,EfficientNet-Lite0")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (CPU 3, GPU 30)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps (CPU 1, GPU 5)")
    parser.add_argument("--batch-size", type=int, default=None, help="CPU 8, GPU 32")
    parser.add_argument("--img-size", type=int, default=None, help="CPU 128, GPU 224 (the paper's)")
    parser.add_argument("--augment", default="paper", choices=["none", "paper", "paper+robust", "paper+codec", "paper+codec-last"])
    parser.add_argument("--n-images", type=int, default=256, help="real images in the cache")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "cache")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    args = parser.parse_args(argv)
    if not (SHARED_CXR / "manifest.csv").exists():
        print(f"no shared X-ray set at {SHARED_CXR}: set CXR_SHARED_DATA", file=sys.stderr)
        return 2

    import torch

    from cxr.training.loop import resolve_device

    device = resolve_device(args.device)
    on_gpu = device.type == "cuda"
    args.steps = args.steps or (30 if on_gpu else 3)
    args.warmup = args.warmup if args.warmup is not None else (5 if on_gpu else 1)
    args.batch_size = args.batch_size or (32 if on_gpu else 4)
    args.img_size = args.img_size or (224 if on_gpu else 128)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = real_images(max(args.n_images, args.batch_size), args.img_size, args.cache_dir)
    name = torch.cuda.get_device_name(device) if on_gpu else f"CPU, {args.threads} threads"
    print(f"device: {name}; batch {args.batch_size}, {args.img_size} px, augment {args.augment}, "
          f"median of {args.steps} timed steps per mode, taken in turns, after {args.warmup} "
          f"warm-up; {len(images)} cached real images")
    rows = []
    for arch in [a.strip() for a in args.archs.split(",") if a.strip()]:
        rate = bench_arch(arch, images, args, device)
        rows.append((arch, f"{rate['synthetic']:.1f}", f"{rate['real']:.1f}",
                     f"{rate['real'] / rate['synthetic']:.2f}", f"{rate['pipeline only']:.0f}"))
        print(f"timed {arch}", file=sys.stderr, flush=True)  # the table comes once all are timed
    print()
    print(markdown.table(
        ("architecture", "synthetic img/s", "real pipeline img/s", "real / synthetic",
         "pipeline only img/s"),
        rows, "lrrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
