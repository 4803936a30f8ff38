"""Out-of-source predictions: for every image, the reading of a model that never saw its source.

A clinic's first image always comes from a hospital the model never saw. Whatever the system says
about its own reliability (calibration, when to abstain, prediction sets, which images are
unfamiliar) must therefore be fitted and measured on images from unseen sources, never on
validation images of the training sources, which flatter the model (docs/results: ECE about 0.5
on unseen hospitals after a temperature fitted on seen ones).

`run_out_of_source` trains one model per group of sources with that group held out (the same
recipe as the shipped model), then records for the held-out images the logits and the pooled
last-layer features, and for a sample of the fold's own training images their features (the
reference a familiarity score measures distances to). Every image of the data set ends up in
exactly one held-out group, so the predictions cover the whole set.

Layout of `out_dir` (resumable: a fold with `predictions.npz` is skipped, a finished training run
with `done.json` is not trained again):
- `protocol.json`: groups, training options, data counts; what the model card cites;
- `<group>/split.csv`, `<group>/run/` (the training run), `<group>/predictions.npz`;
- `oos_predictions.csv`: one row per image: path, label, source, group, logits per class and
  the familiarity ratio computed from the features (committed with the results: small, and all
  the fitting needs, so `cxr trust` refits without the folds' large feature files).

Folds can run in parallel processes (`only`: this process's folds); the CSV is written by the
call that finds every fold done.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cxr.data.cache import cached_images
from cxr.data.splits import make_split, save_split
from cxr.files import atomic_target
from cxr.inference.guard.detectors import familiarity_ratio
from cxr.training.loop import TrainConfig, load_checkpoint, predict_outputs, resolve_device, train

# Source groups of the shared set (../shared/data/cxr/SOURCES.md), one per underlying collection:
# the two Kermany copies are one hospital (Guangzhou), so they are held out together.
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "cohen": ("cohen",),
    "nih": ("darkcovidnet",),
    "kermany": ("skytells", "zargari"),
    "raddb": ("raddb",),
}
# Features of more training images change a nearest-neighbour reference little (as the guard).
REFERENCE_IMAGES = 3000
PREDICTIONS_FILE = "oos_predictions.csv"
# TrainConfig fields that say where or how fast a fold runs, not what it learns: a resumed run
# may change them (another machine, more threads) without becoming another protocol.
RUNTIME_FIELDS = ("split_csv", "out_dir", "device", "workers", "cache_dir", "command")
PROTOCOL_FILE = "protocol.json"


def parse_groups(specs: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """["cohen=cohen", "kermany=skytells,zargari"] -> {"cohen": ("cohen",), ...}."""
    groups = {}
    for spec in specs:
        name, _, sources = spec.partition("=")
        if not name or not sources:
            raise ValueError(f"a group is NAME=SOURCE[,SOURCE...], not {spec!r}")
        groups[name] = tuple(s for s in sources.split(",") if s)
    return groups


def fold_split(frame: pd.DataFrame, held_out: Sequence[str], seed: int) -> pd.DataFrame:
    """The task frame with `subset`: the held-out sources are `test`, the rest train/val."""
    return make_split(frame, "source", seed=seed, holdout_sources=tuple(held_out))


def _reference_rows(split: pd.DataFrame, limit: int, seed: int) -> np.ndarray:
    train_rows = np.flatnonzero(split["subset"].to_numpy() == "train")
    if len(train_rows) <= limit:
        return train_rows
    return np.sort(np.random.default_rng(seed).choice(train_rows, size=limit, replace=False))


def predict_fold(run_dir: Path, split: pd.DataFrame, cache_dir: str | None, device: str,
                 seed: int) -> dict[str, np.ndarray]:
    """Logits and pooled features of the held-out (`test`) and validation images, and features of
    reference training images.

    Validation images come from the fold's own sources: their distances to the reference set
    the scale of "familiar", as the validation X-rays do for the shipped guard.
    """
    device = resolve_device(device)  # "auto" is what TrainConfig holds by default
    model, checkpoint = load_checkpoint(run_dir / "best.pt", device=device)
    images = cached_images(list(split["path"]), size=int(checkpoint["img_size"]),
                           contrast=checkpoint.get("contrast", "none"), cache_dir=cache_dir)
    subset = split["subset"].to_numpy()
    outputs = {}
    for name, rows in (("", np.flatnonzero(subset == "test")),
                       ("val_", np.flatnonzero(subset == "val")),
                       ("reference_", _reference_rows(split, REFERENCE_IMAGES, seed))):
        logits, features = predict_outputs(model, np.asarray(images[rows]), device=device)
        outputs.update({f"{name}rows": rows, f"{name}logits": logits,
                        f"{name}features": features.astype(np.float32)})
    return outputs


def run_out_of_source(
    frame: pd.DataFrame,
    out_dir: str | Path,
    config: TrainConfig,
    groups: Mapping[str, Sequence[str]] = DEFAULT_GROUPS,
    log: Callable[[str], None] = print,
    train_fn: Callable[[TrainConfig], Path] | None = None,
    root: str | Path | None = None,
    only: Sequence[str] | None = None,
) -> Path | None:
    """Train and predict every fold not done yet; returns the path of `oos_predictions.csv`, or
    None while folds outside `only` (those other processes run) are still missing.

    `frame` is a task frame (`cxr.data.index.task_frame`); `config` is the recipe, whose
    `split_csv` and `out_dir` are set per fold. Sources in no group are refused: every image must
    get an out-of-source prediction. `root`, the X-ray set's folder, makes the CSV's paths
    relative to it (as in its manifest), so that the readings can be committed and read elsewhere.
    """
    from tqdm import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    grouped = {s for sources in groups.values() for s in sources}
    missing = sorted(set(frame["source"]) - grouped)
    if missing:
        raise ValueError(f"sources in no held-out group: {missing}; add them to a group")
    unknown = set(only or ()) - set(groups)
    if unknown:
        raise ValueError(f"folds {sorted(unknown)} are not groups: {sorted(groups)}")
    train_fn = train_fn or (lambda c: train(c, log=lambda _: None))
    recipe = {k: v for k, v in dataclasses.asdict(config).items() if k not in RUNTIME_FIELDS}
    _record_protocol(out_dir, groups, recipe, frame)
    for name in tqdm([g for g in groups if only is None or g in only], desc="out-of-source folds", unit="fold"):
        fold_dir = out_dir / name
        if (fold_dir / "predictions.npz").exists():
            log(f"{name}: done before, skipped")
            continue
        fold_dir.mkdir(exist_ok=True)
        split = fold_split(frame, groups[name], config.seed)
        split_csv = save_split(split, fold_dir / "split.csv")
        run_dir = fold_dir / "run"
        if not (run_dir / "done.json").exists():
            n_held = int((split["subset"] == "test").sum())
            log(f"{name}: training without {', '.join(groups[name])} ({n_held} images held out)")
            train_fn(dataclasses.replace(config, split_csv=str(split_csv), out_dir=str(run_dir)))
        outputs = predict_fold(run_dir, split, config.cache_dir, config.device, config.seed)
        # Atomic, as the CSV: a fold running in another process may be waiting for this file.
        with atomic_target(fold_dir / "predictions.npz") as tmp, open(tmp, "wb") as stream:
            np.savez_compressed(stream, **outputs)
    waiting = [g for g in groups if not (out_dir / g / "predictions.npz").exists()]
    if waiting:
        log(f"folds still to run: {', '.join(waiting)}; the CSV is written once they are done")
        return None
    return write_predictions(frame, out_dir, groups, root)


class ProtocolMismatch(ValueError):
    """The output folder holds folds of another recipe, grouping or data set: resuming there would
    mix two protocols in one set of out-of-source readings."""

    def __init__(self, out_dir: Path, differences: list[str]):
        self.differences = differences
        super().__init__(f"{out_dir} holds out-of-source runs of another protocol (differs in: "
                         f"{', '.join(differences) or 'its layout'}): use another --out folder, or "
                         "the options it was started with (its protocol.json)")


def _differences(before: dict, now: dict, prefix: str = "") -> list[str]:
    """The dotted names of the protocol entries that differ ("recipe.lr", "groups")."""
    found = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and key == "recipe":
            found += _differences(old, new, f"{prefix}{key}.")
        else:
            found.append(f"{prefix}{key}")
    return found


def _record_protocol(out_dir: Path, groups: Mapping[str, Sequence[str]], recipe: dict,
                     frame: pd.DataFrame) -> None:
    """Write `protocol.json`, refusing to mix two recipes or groupings in one folder."""
    protocol = {
        "groups": {k: list(v) for k, v in groups.items()},
        "recipe": recipe,
        "images": int(len(frame)),
        "by_group_and_label": {
            name: {str(k): int(v) for k, v in
                   frame[frame["source"].isin(sources)]["label"].value_counts().sort_index().items()}
            for name, sources in groups.items()
        },
    }
    path = out_dir / PROTOCOL_FILE
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8"))
        if before != protocol:
            raise ProtocolMismatch(out_dir, _differences(before, protocol))
    # Atomic: folds running in parallel processes each record the same protocol.
    with atomic_target(path) as tmp:
        tmp.write_text(json.dumps(protocol, indent=2) + "\n", encoding="utf-8")


def write_predictions(frame: pd.DataFrame, out_dir: Path,
                      groups: Mapping[str, Sequence[str]], root: str | Path | None = None) -> Path:
    """Gather the folds' held-out logits and familiarity ratios into one CSV row per image (in
    `frame`'s order); paths relative to `root` where every image lies under it."""
    classes = _classes(out_dir, groups)
    table = frame.reset_index(drop=True)[["path", "label", "source"]].copy()
    if root is not None:
        table["path"] = relative_paths(table["path"], root)
    table["group"] = ""
    logits = np.full((len(table), len(classes)), np.nan, dtype=np.float64)
    ratio = np.full(len(table), np.nan, dtype=np.float64)
    for name in groups:
        with np.load(out_dir / name / "predictions.npz") as fold:
            logits[fold["rows"]] = fold["logits"]
            ratio[fold["rows"]] = familiarity_ratio(fold["reference_features"], fold["val_features"],
                                                    fold["features"])
            table.loc[fold["rows"], "group"] = name
    for i, cls in enumerate(classes):
        table[f"logit_{cls}"] = logits[:, i]
    table["knn_ratio"] = ratio
    path = out_dir / PREDICTIONS_FILE
    with atomic_target(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
    return path


def relative_paths(paths: Sequence[str], root: str | Path) -> list[str]:
    """`paths` as POSIX paths relative to `root`, or unchanged when any lies outside it."""
    root = Path(root).resolve()
    resolved = [Path(p).resolve() for p in paths]
    if not all(p.is_relative_to(root) for p in resolved):
        return list(paths)
    return [p.relative_to(root).as_posix() for p in resolved]


def _classes(out_dir: Path, groups: Mapping[str, Sequence[str]]) -> list[str]:
    first = out_dir / next(iter(groups)) / "run" / "best.pt"
    return list(torch.load(first, map_location="cpu", weights_only=True)["classes"])


def read_features(out_dir: str | Path, groups: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per group: held-out rows and features, reference features (not in the CSV: too large)."""
    out = {}
    for name in groups:
        with np.load(Path(out_dir) / name / "predictions.npz") as fold:
            out[name] = {key: fold[key] for key in fold.files}
    return out

