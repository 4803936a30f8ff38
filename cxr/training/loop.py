"""The paper's training recipe (needs the `[train]` extra: torch, timm).

ImageNet-pretrained backbone, all layers trainable, GAP + dense head, Adam, learning rate
constant for 5 epochs then exponential decay, early stopping on validation loss (patience 10,
at most 50 epochs), the paper's augmentation, 224 px inputs. Images come from the preprocessed
cache as uint8 and are augmented and normalised on the device in whole batches.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cxr.data.cache import cached_images
from cxr.data.splits import describe_split, read_split
from cxr.evaluation.runs import portable_path
from cxr.labels import TASKS
from cxr.preprocess import IMAGENET_MEAN, IMAGENET_STD
from cxr.training.adversary import SourceAdversary, ramp, source_codes
from cxr.training.augment import augment_images, codec_views, jensen_shannon
from cxr.training.models import build_model
from cxr.training.options import conflicting_options
from cxr.training.registry import ARCHITECTURES, canonical_arch
from cxr.training.schedule import EarlyStopping, learning_rate

BALANCING = ("none", "class", "source")


@dataclass
class TrainConfig:
    split_csv: str
    arch: str = "EfficientNet-Lite0"
    pretrained: str = "imagenet"
    lr: float = 1e-4
    batch_size: int = 32
    epochs: int = 50
    patience: int = 10
    constant_epochs: int = 5
    decay: float = math.exp(-0.1)
    img_size: int = 224
    contrast: str = "none"
    augment: str = "paper"
    balance: str = "none"
    adversary_weight: float = 0.0  # class-conditional source adversary (cxr.training.adversary); 0 = off
    mixup: float = 0.0  # mixup's Beta(alpha, alpha) for the blend weight; 0 = off
    label_smoothing: float = 0.0  # share of each target spread over the other classes
    # Weight of the Jensen-Shannon consistency between each image and its JPEG copy (augment
    # paper+codec-last, cxr.training.augment.codec_views): both views are trained; 0 = off.
    consistency: float = 0.0
    seed: int = 0
    out_dir: str = "runs/run"
    device: str = "auto"
    workers: int = 2
    max_train_batches: int | None = None
    cache_dir: str | None = None
    command: str = ""
    # Keep the training images on the device as one uint8 tensor and index batches there (no
    # host-to-device copy per step): "auto" = on a GPU, "yes", "no".
    resident: str = "auto"


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def missing_device(name: str) -> str | None:
    """Why this machine has no device `name` (cuda, cuda:N, mps), or None when it has it (auto and
    cpu always): the command line asks before it reads any data."""
    kind, _, number = name.partition(":")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            return "torch finds no CUDA GPU on this machine"
        if number and int(number) >= count:
            return f"this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}"
    elif kind == "mps" and not torch.backends.mps.is_available():
        return "torch finds no Apple GPU (MPS) on this machine"
    return None


def task_of(labels) -> str:
    present = set(labels)
    for task, classes in TASKS.items():
        if present == set(classes):
            return task
    raise ValueError(f"labels {sorted(present)} match no task {dict(TASKS)}")


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def to_input(batch_uint8: torch.Tensor, augment: str, generator: torch.Generator | None,
             codec_rng: np.random.Generator | None = None) -> torch.Tensor:
    """uint8 (B, H, W) on the device -> augmented, ImageNet-normalised float (B, 3, H, W).
    `codec_rng` draws the JPEG re-encoding of augmentations that have one."""
    return normalise(augment_images(batch_uint8, augment, generator, codec_rng))


def normalise(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) float in [0, 1] -> ImageNet-normalised (B, 3, H, W), channels last."""
    mean = torch.as_tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.as_tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return ((x.expand(-1, 3, -1, -1) - mean) / std).contiguous(memory_format=torch.channels_last)


def sampling_weights(frame, balance: str) -> np.ndarray | None:
    """Per-row sampling weights so that each class (or source-and-class group) weighs the same."""
    if balance == "none":
        return None
    if balance not in BALANCING:
        raise ValueError(f"unknown balancing {balance!r}; choose one of {BALANCING}")
    keys = frame["label"] if balance == "class" else frame["source"] + "/" + frame["label"]
    counts = keys.map(keys.value_counts())
    weights = 1.0 / counts.to_numpy(dtype=np.float64)
    return weights / weights.sum()


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def predict_logits(model, images: np.ndarray, img_size: int | None = None, batch_size: int = 64,
                   device: torch.device | str = "cpu") -> np.ndarray:
    """Logits (N, C) for uint8 images (N, S, S) already prepared with `prepare_gray`."""
    return predict_outputs(model, images, batch_size=batch_size, device=device)[0]


@torch.no_grad()
def predict_outputs(model, images: np.ndarray, batch_size: int = 64,
                    device: torch.device | str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """(logits (N, C), pooled last-layer features (N, K)) for prepared uint8 images (N, S, S).

    The pooled features are what the head sees (and what the guard and the familiarity score
    measure distances in), so both come from one pass.
    """
    device = torch.device(device)
    model.eval()
    logits, features = [], []
    for start in range(0, len(images), batch_size):
        # A copy: the cache is a read-only memory map, which torch refuses to share.
        batch = torch.from_numpy(np.array(images[start:start + batch_size])).to(device)
        with _autocast(device):
            pooled = model.forward_features(to_input(batch, "none", None)).mean(dim=(2, 3))
            logits.append(model.get_classifier()(pooled).float().cpu())
        features.append(pooled.float().cpu())
    if not logits:
        return np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.float32)
    return torch.cat(logits).numpy(), torch.cat(features).numpy()


def _step_with_adversary(model, adversary, x, target, sources, weight, label_smoothing=0.0):
    """Logits, the classifier's loss (what the log shows), the loss to minimise (plus both sides
    of the source adversary's game, cxr.training.adversary) and the adversary's accuracy."""
    pooled = model.forward_features(x).mean(dim=(2, 3))
    logits = model.get_classifier()(pooled)
    loss = F.cross_entropy(logits.float(), target, label_smoothing=label_smoothing)
    adversary_loss, hits = adversary.loss(pooled, target, sources, weight)
    return logits, loss, loss + adversary_loss, hits


def _step_with_consistency(model, batch, target, generator, codec_rng, weight, cross_entropy):
    """Both views of `codec_views` in one pass: logits of the lossless view, the classifier's loss
    (mean of the two views'), and that plus `weight` x their Jensen-Shannon divergence."""
    lossless, coded = codec_views(batch, generator, codec_rng)
    logits, coded_logits = model(normalise(torch.cat([lossless, coded]))).chunk(2)
    loss = (cross_entropy(logits, target) + cross_entropy(coded_logits, target)) / 2
    return logits, loss, loss + weight * jensen_shannon(logits, coded_logits)


def _mixed_batch(x: torch.Tensor, target: torch.Tensor, alpha: float, rng: np.random.Generator):
    """Mixup (Zhang et al. 2018): the batch blended with a shuffled copy of itself, one Beta(alpha,
    alpha) weight per batch. Returns (mixed images, the partners' targets, the weight)."""
    weight = float(rng.beta(alpha, alpha))
    partner = torch.from_numpy(rng.permutation(len(target))).to(x.device)
    return weight * x + (1 - weight) * x[partner], target[partner], weight


def _evaluate(model, images, targets, device, batch_size) -> tuple[float, float]:
    logits = torch.from_numpy(predict_logits(model, images, batch_size=batch_size, device=device))
    y = torch.from_numpy(targets)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu"):
    """(model in eval mode, checkpoint dict) from a `best.pt` written by `train`.

    Loaded with weights_only: a `train` checkpoint holds tensors and plain data only, and a file
    holding other Python objects (whose unpickling could run any code) is refused, not run."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(ckpt["arch"], len(ckpt["classes"]), pretrained="none")
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval(), ckpt


def _write_history(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def train(config: TrainConfig, log=print) -> Path:
    """Train one model; returns its run folder (see docs/architecture.md for what it holds)."""
    arch = canonical_arch(config.arch)
    problem = conflicting_options(mixup=config.mixup, adversary_weight=config.adversary_weight,
                                  consistency=config.consistency, augment=config.augment)
    if problem:
        raise ValueError(problem)
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    record = dataclasses.asdict(config)
    for key in ("split_csv", "out_dir", "cache_dir"):
        record[key] = portable_path(record[key])
    (out / "config.json").write_text(json.dumps(record, indent=2))
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = resolve_device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(max(1, config.workers))
    else:
        torch.backends.cudnn.benchmark = True  # fixed input sizes: pick the fastest kernels once

    split = read_split(config.split_csv)
    task = task_of(split["label"])
    classes = list(TASKS[task])
    images = cached_images(list(split["path"]), config.img_size, config.contrast, config.cache_dir)
    subsets = {name: np.flatnonzero(split["subset"].to_numpy() == name) for name in ("train", "val", "test")}
    train_idx, val_idx = subsets["train"], subsets["val"]
    y_all = split["y"].to_numpy(dtype=np.int64)
    val_images = np.ascontiguousarray(images[val_idx])
    log(f"{arch} ({ARCHITECTURES[arch].timm_name}), task {task}, {len(train_idx)} train / {len(val_idx)} val "
        f"images, {device}, pretrained={config.pretrained}")

    model = build_model(arch, len(classes), config.pretrained).to(device)
    weights_origin = getattr(model, "weights_origin", config.pretrained)
    log(f"weights: {weights_origin}")
    if config.resident not in ("auto", "yes", "no"):
        raise ValueError(f"resident must be auto, yes or no, not {config.resident!r}")
    resident = config.resident == "yes" or (config.resident == "auto" and device.type == "cuda")
    if resident:  # one copy of the training images, uint8, on the device; batches are indexed there
        device_images = torch.from_numpy(np.ascontiguousarray(images[train_idx])).to(device)
        device_row = np.full(len(split), -1, dtype=np.int64)
        device_row[train_idx] = np.arange(len(train_idx))
        device_y = torch.from_numpy(y_all).to(device)
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    weights = sampling_weights(split.iloc[train_idx], config.balance)
    adversary, source_all = None, None
    if config.adversary_weight > 0:
        source_all = np.full(len(split), -1, dtype=np.int64)
        codes, allowed, names = source_codes(y_all[train_idx], split["source"].to_numpy()[train_idx], len(classes))
        source_all[train_idx] = codes
        adversary = SourceAdversary(model.get_classifier().in_features, allowed).to(device)
        optimizer.add_param_group({"params": adversary.parameters()})
        log(f"source adversary, weight {config.adversary_weight}: collections {', '.join(names)}")
    generator = torch.Generator(device=device).manual_seed(config.seed)
    mixup_rng = np.random.default_rng(config.seed + 1)  # apart from `rng`: the same batches either way
    codec_rng = np.random.default_rng(config.seed + 2)  # likewise for the JPEG re-encoding

    def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), target, label_smoothing=config.label_smoothing)
    stopper = EarlyStopping(patience=config.patience)
    history: list[dict] = []
    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    if config.max_train_batches:
        steps_per_epoch = min(steps_per_epoch, config.max_train_batches)

    train_images, train_seconds = 0, 0.0
    for epoch in range(config.epochs):
        started = time.time()
        lr = learning_rate(epoch, config.lr, config.constant_epochs, config.decay)
        for group in optimizer.param_groups:
            group["lr"] = lr
        if weights is None:
            order = rng.permutation(train_idx)
        else:
            order = rng.choice(train_idx, size=len(train_idx), replace=True, p=weights)
        model.train()
        seen, source_hits = 0, []
        # Running loss and hits stay on the device and are read once per epoch: reading them each
        # step (float(), int()) made every step wait for the GPU.
        loss_total = torch.zeros((), dtype=torch.float64, device=device)
        correct_total = torch.zeros((), dtype=torch.int64, device=device)
        batches = [np.sort(order[step * config.batch_size:(step + 1) * config.batch_size])
                   for step in range(steps_per_epoch)]
        if len(batches) > 1 and len(batches[-1]) == 1:
            # A last batch of one image (33 images in batches of 8) cannot train: BatchNorm needs
            # more than one value per channel, and small inputs (32 px) leave 1x1 feature maps.
            # Left out of this epoch; the order is shuffled, so another image misses each epoch.
            batches.pop()
        if resident:
            # The epoch's batches go to the device in one copy: a copy from pageable host memory
            # synchronises the stream, so one per step kept the GPU from running ahead.
            epoch_rows = np.concatenate(batches)
            epoch_device_rows = torch.from_numpy(device_row[epoch_rows]).to(device)
            epoch_targets = device_y[torch.from_numpy(epoch_rows).to(device)]
        offset = 0
        for step, rows in enumerate(batches):
            if len(rows) == 0:
                break
            if resident:
                batch = device_images[epoch_device_rows[offset:offset + len(rows)]]
                target = epoch_targets[offset:offset + len(rows)]
                offset += len(rows)
            else:
                batch = torch.from_numpy(np.ascontiguousarray(images[rows])).to(device, non_blocking=True)
                target = torch.from_numpy(y_all[rows]).to(device)
            with _autocast(device):
                # The consistency step makes its own two views of each image.
                x = None if config.consistency > 0 else to_input(batch, config.augment, generator, codec_rng)
                if config.consistency > 0:
                    logits, loss, total = _step_with_consistency(
                        model, batch, target, generator, codec_rng, config.consistency, cross_entropy)
                elif adversary is None and config.mixup > 0:
                    x, partner_target, weight = _mixed_batch(x, target, config.mixup, mixup_rng)
                    logits = model(x)
                    loss = total = (weight * cross_entropy(logits, target)
                                    + (1 - weight) * cross_entropy(logits, partner_target))
                elif adversary is None:
                    logits = model(x)
                    loss = total = cross_entropy(logits, target)
                else:
                    progress = (epoch * steps_per_epoch + step) / (config.epochs * steps_per_epoch)
                    sources = torch.from_numpy(source_all[rows]).to(device)
                    logits, loss, total, hits = _step_with_adversary(
                        model, adversary, x, target, sources, config.adversary_weight * ramp(progress),
                        config.label_smoothing)
                    source_hits.append(hits)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            loss_total += loss.detach().double() * len(rows)
            correct_total += (logits.argmax(1) == target).sum()
            seen += len(rows)
        loss_sum, correct = float(loss_total), int(correct_total)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_images, train_seconds = train_images + seen, train_seconds + time.time() - started
        val_loss, val_acc = _evaluate(model, val_images, y_all[val_idx], device, config.batch_size * 2)
        row = {
            "epoch": epoch + 1, "lr": lr, "train_loss": loss_sum / max(seen, 1),
            "train_acc": correct / max(seen, 1), "val_loss": val_loss, "val_acc": val_acc,
            "seconds": round(time.time() - started, 1),
        }
        history.append(row)
        _write_history(out / "history.csv", history)
        improved = stopper.update(epoch, val_loss)
        # How well the adversary still tells collections apart within a class (falls as it works).
        adversary_note = f"  source acc {np.nanmean(source_hits):.3f}" if source_hits else ""
        log(f"epoch {epoch + 1:3d}  lr {lr:.2e}  train loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}"
            f"  val loss {val_loss:.4f} acc {val_acc:.4f}{adversary_note}  {row['seconds']}s{'  *' if improved else ''}")
        if improved:
            torch.save(
                {
                    "arch": arch, "timm_name": ARCHITECTURES[arch].timm_name, "classes": classes, "task": task,
                    "img_size": config.img_size, "contrast": config.contrast,
                    "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                    "epoch": epoch + 1, "val_metrics": {"loss": val_loss, "accuracy": val_acc},
                    "args": dataclasses.asdict(config),
                    "split": {"csv": str(Path(config.split_csv).resolve()), "name": Path(config.split_csv).stem,
                              "seed": config.seed},
                    "weights": weights_origin,
                    "data": describe_split(split),
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "code_version": code_version(),
                },
                out / "best.pt",
            )
        if stopper.should_stop:
            log(f"early stopping: no better validation loss for {config.patience} epochs")
            break

    if not (out / "best.pt").exists():
        raise RuntimeError(f"no epoch produced a finite validation loss; see {out / 'history.csv'}")
    try:
        from cxr.evaluation.plots import plot_curves

        plot_curves(out / "history.csv", out / "curves.png")
    except ImportError as exc:  # plotting is optional for a run to count as finished
        log(f"no curves plotted: {exc}")
    summary = {
        "best_epoch": stopper.best_epoch + 1, "epochs_run": len(history),
        "best_val_loss": stopper.best, "best_val_acc": history[stopper.best_epoch]["val_acc"],
        "seconds": round(sum(r["seconds"] for r in history), 1), "device": str(device),
        "weights": weights_origin,
        # training steps only (validation excluded): images per second of this run
        "train_images": train_images,
        "train_images_per_second": round(train_images / max(train_seconds, 1e-9), 2),
        "resident": resident,
    }
    (out / "done.json").write_text(json.dumps(summary, indent=2))
    return out
