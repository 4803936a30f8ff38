"""Measure candidate OOD guards of the bundled model on the same data, and print one table.

    .venv/bin/python -m studies.ood.candidates               # extract once (cached), then score
    .venv/bin/python -m studies.ood.candidates --cache DIR   # cache folder (default /tmp/ood_study)
    .venv/bin/python -m studies.ood.candidates --missed      # also list what each candidate lets through

Step 1 (about 3 minutes on 2 cores, cached as npz in --cache): pooled last-layer features and
logits of the bundled ONNX model (through cxr.inference) for the training sample the export fits
on, the validation and test X-rays of the checkpoint's split, the non-X-ray set of cxr.data.negatives
and a second, hold-out non-X-ray set (studies.ood.holdout) from other pictures; plus cheap picture
statistics and today's explained refusal for every image of var/data/index.csv and every negative.
Step 2 (about a minute): every candidate guard is fitted on training features, thresholded on
validation X-rays only, and scored on test X-rays (false refusal) and the negatives (refusal).
RULE: the negative sets are evaluation sets; nothing here is fitted or thresholded on them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxr.data.splits import stratified_sample
from cxr.evaluation.markdown import table, write_output
from cxr.export import OOD_MAX_TRAIN_IMAGES
from cxr.inference.decode import decode_image
from cxr.inference.guard import detectors as ood
from cxr.inference.guard import rules
from cxr.inference.predictor import Predictor
from cxr.preprocess import prepare_gray
from studies.ood.holdout import build_holdout_negatives

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "ood.md"

MODEL_DIR = REPO / "models" / "bundled"
SPLIT_CSV = REPO / "var" / "data" / "splits" / "3class_patient_s0.csv"
INDEX_CSV = REPO / "var" / "data" / "index.csv"
STATS_SIDE = 128  # picture statistics are computed on a 128 x 128 copy: cheap and size-free


# --- step 1: extraction -----------------------------------------------------------------------

def picture_stats(decoded) -> dict[str, float]:
    """Cheap statistics of the decoded picture, candidates for new explained checks."""
    from PIL import Image

    gray = decoded.gray
    height, width = gray.shape
    small = np.asarray(Image.fromarray(gray).resize((STATS_SIDE, STATS_SIDE), Image.Resampling.BILINEAR),
                       dtype=np.float64)
    std = small.std() + 1e-9
    levels, counts = np.unique(gray[:: max(1, height // 256), :: max(1, width // 256)], return_counts=True)
    shares = np.sort(counts)[::-1] / counts.sum()
    # Edges: mean absolute neighbour difference relative to the contrast (noise, stripes, text).
    edges = (np.abs(np.diff(small, axis=0)).mean() + np.abs(np.diff(small, axis=1)).mean()) / 2 / std
    mirrored = small[:, ::-1]
    symmetry = np.corrcoef(small.ravel(), mirrored.ravel())[0, 1]
    border = np.concatenate([small[:8].ravel(), small[-8:].ravel(), small[:, :8].ravel(), small[:, -8:].ravel()])
    centre = small[32:96, 32:96]
    return {
        "aspect": width / height,
        "std": float(small.std()),
        "levels": float(len(levels)),
        "top2_share": float(shares[:2].sum()),
        "extreme_share": float(((small <= 3) | (small >= 252)).mean()),
        "edges": float(edges),
        "symmetry": float(symmetry),
        "border_minus_centre": float(border.mean() - centre.mean()),
        "colour_fraction": float(decoded.colour_fraction),
    }


def extract(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    predictor = Predictor.load(MODEL_DIR, threads=2)
    target = cache / "features.npz"
    if not target.exists():
        _extract_xrays(predictor, target)
    target = cache / "negatives.npz"
    if not target.exists():
        _extract_negatives(predictor, target)
    target = cache / "index_stats.npz"
    if not target.exists():
        _extract_index_stats(target)
    target = cache / "holdout.npz"
    if not target.exists():
        _extract_negatives(predictor, target, build_holdout_negatives())


def _extract_xrays(predictor: Predictor, target: Path) -> None:
    from cxr.data.cache import cached_images

    split = pd.read_csv(SPLIT_CSV)
    # The training cache holds exactly prepare_gray(decode_image(path).gray): the serving pixels.
    images = cached_images(list(split["path"]), size=predictor.input_size, contrast=predictor.contrast)
    classes = predictor.classes
    split = split[split["label"].isin(classes)]
    frames = {
        "train": stratified_sample(split[split["subset"] == "train"], OOD_MAX_TRAIN_IMAGES, seed=0),
        "val": split[split["subset"] == "val"],
        "test": split[split["subset"] == "test"],
    }
    arrays = {}
    for name, frame in frames.items():
        print(f"features of {len(frame)} {name} X-rays", flush=True)
        logits, pooled = predictor.logits_and_features(np.ascontiguousarray(images[frame.index.to_numpy()]))
        arrays |= {f"{name}_pooled": pooled.astype(np.float32), f"{name}_logits": logits,
                   f"{name}_source": frame["source"].to_numpy(str), f"{name}_label": frame["label"].to_numpy(str),
                   f"{name}_path": frame["path"].to_numpy(str)}
    np.savez_compressed(target, **arrays)


def _extract_negatives(predictor: Predictor, target: Path, negatives=None) -> None:
    from cxr.data.negatives import build_negative_set

    negatives = build_negative_set() if negatives is None else negatives
    print(f"features of {len(negatives)} non-X-ray pictures", flush=True)
    decoded = [predictor.decode(n.data) for n in negatives]
    prepared = np.stack([prepare_gray(d.gray, predictor.input_size, predictor.contrast) for d in decoded])
    logits, pooled = predictor.logits_and_features(prepared)
    stats = pd.DataFrame([picture_stats(d) for d in decoded])
    np.savez_compressed(
        target, pooled=pooled.astype(np.float32), logits=logits,
        kind=np.array([n.kind for n in negatives]), name=np.array([n.name for n in negatives]),
        base=np.array([n.base for n in negatives]),
        explained=np.array([rules.explained_refusal(d) is not None for d in decoded]),
        stat_names=np.array(stats.columns, dtype=str), stats=stats.to_numpy(),
    )


def _extract_index_stats(target: Path) -> None:
    index = pd.read_csv(INDEX_CSV)
    print(f"picture statistics of all {len(index)} index images (decoding each)", flush=True)
    rows, explained = [], []
    for k, path in enumerate(index["path"]):
        decoded = decode_image(path)
        rows.append(picture_stats(decoded))
        explained.append(rules.explained_refusal(decoded) is not None)
        if k % 1000 == 999:
            print(f"  {k + 1}", flush=True)
    stats = pd.DataFrame(rows)
    np.savez_compressed(target, path=index["path"].to_numpy(str), source=index["source"].to_numpy(str),
                        label=index["label"].to_numpy(str), explained=np.array(explained),
                        stat_names=np.array(stats.columns, dtype=str), stats=stats.to_numpy())


# --- step 2: candidates -----------------------------------------------------------------------

def load(cache: Path) -> dict:
    """Everything step 2 needs, as plain arrays."""
    with np.load(cache / "features.npz") as f:
        data = {key: f[key] for key in f.files}
    with np.load(cache / "negatives.npz") as f:
        data |= {f"neg_{key}": f[key] for key in f.files}
    with np.load(cache / "holdout.npz") as f:
        data |= {f"hold_{key}": f[key] for key in f.files}
    with np.load(cache / "index_stats.npz") as f:
        data |= {f"index_{key}": f[key] for key in f.files}
    explained = dict(zip(data["index_path"], data["index_explained"], strict=True))
    data["test_explained"] = np.array([explained[p] for p in data["test_path"]])
    data["val_explained"] = np.array([explained[p] for p in data["val_path"]])
    data["train_group"] = np.char.add(np.char.add(data["train_source"], "/"), data["train_label"])
    return data



# Each scorer is fitted on training X-rays only and returns a function: pooled/logits -> score,
# higher = farther from the training X-rays.

def fit_today(d: dict, **options):
    """cxr.inference.guard.detectors as bundled: tied Ledoit-Wolf covariance, source-and-class centres,
    per-group median scaling (options pass through to MahalanobisDetector.fit)."""
    detector = ood.MahalanobisDetector.fit(d["train_pooled"], d["train_group"], **options)
    return lambda pooled, logits: detector.scores(pooled)


def fit_unscaled(d: dict):
    """Tied covariance, source-and-class centres, no per-group scaling (Lee et al. 2018)."""
    detector = ood.MahalanobisDetector.fit(d["train_pooled"], d["train_group"])
    detector.scales = None
    return lambda pooled, logits: detector.scores(pooled)


def fit_class_centres(d: dict):
    """Tied covariance with one centre per class (the textbook Lee et al. detector), scaled."""
    detector = ood.MahalanobisDetector.fit(d["train_pooled"], d["train_label"])
    return lambda pooled, logits: detector.scores(pooled)


def fit_class_conditional(d: dict, min_group: int = 10):
    """One Ledoit-Wolf covariance per source-and-class group (each scaled by its median)."""
    pooled, groups = d["train_pooled"].astype(np.float64), d["train_group"]
    models = []
    for name in np.unique(groups):
        rows = pooled[groups == name]
        if len(rows) < min_group:
            continue
        mean = rows.mean(axis=0)
        covariance, _ = ood._ledoit_wolf(rows - mean)
        precision = np.linalg.pinv(covariance, hermitian=True)
        own = _mahalanobis(rows, mean, precision)
        models.append((mean, precision, np.median(own)))

    def score(x, logits):
        return np.min([_mahalanobis(x, m, p) / s for m, p, s in models], axis=0)
    return score


def _mahalanobis(x: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    centred = np.asarray(x, np.float64) - mean
    return np.sqrt(np.maximum(np.einsum("nk,kj,nj->n", centred, precision, centred), 0.0))


def fit_pca(d: dict, components: int):
    """Today's detector in the top principal components of the group-centred training features."""
    basis = _principal_axes(d)[:, :components]
    detector = ood.MahalanobisDetector.fit(d["train_pooled"] @ basis, d["train_group"])
    return lambda pooled, logits: detector.scores(np.asarray(pooled, np.float64) @ basis)


def fit_residual(d: dict, components: int):
    """Length of the part of a feature vector outside the training X-rays' top principal
    subspace (the 'residual' of Wang et al. 2022, ViM): OOD images put energy where X-rays don't."""
    basis = _principal_axes(d)[:, :components]
    centre = d["train_pooled"].astype(np.float64).mean(axis=0)

    def score(pooled, logits):
        centred = np.asarray(pooled, np.float64) - centre
        return np.linalg.norm(centred - (centred @ basis) @ basis.T, axis=1)
    return score


def _principal_axes(d: dict) -> np.ndarray:
    pooled = d["train_pooled"].astype(np.float64)
    groups = d["train_group"]
    centred = pooled.copy()
    for name in np.unique(groups):
        centred[groups == name] -= pooled[groups == name].mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return vt.T


def fit_relative(d: dict):
    """Relative Mahalanobis (Ren et al. 2021): squared distance to the nearest group centre
    minus the squared distance under one background Gaussian of all training X-rays."""
    groups = ood.MahalanobisDetector.fit(d["train_pooled"], d["train_group"])
    pooled = d["train_pooled"].astype(np.float64)
    background_mean = pooled.mean(axis=0)
    covariance, _ = ood._ledoit_wolf(pooled - background_mean)
    background = np.linalg.pinv(covariance, hermitian=True)

    def score(x, logits):
        nearest = (groups._distances(x) ** 2).min(axis=1)
        return nearest - _mahalanobis(x, background_mean, background) ** 2
    return score


def fit_energy(d: dict):
    """Negative energy of the logits (Liu et al. 2020): -logsumexp(logits), higher = OOD."""
    def score(pooled, logits):
        top = logits.max(axis=1)
        return -(top + np.log(np.exp(logits - top[:, None]).sum(axis=1)))
    return score


def fit_knn(d: dict, k: int = 10):
    """Cosine distance to the k-th nearest training X-ray (Sun et al. 2022): the guard's own
    NearestNeighbours, but with the training vectors kept in float64 (the export stores float16)."""
    neighbours = ood.NearestNeighbours(ood._unit_rows(d["train_pooled"]), k)
    return lambda pooled, logits: neighbours.scores(pooled)


# --- evaluation -------------------------------------------------------------------------------

SUBSETS = {"val": "val_", "test": "test_", "neg": "neg_", "hold": "hold_"}


def evaluate(d: dict, name: str, scorers: list, quantile: float, checks=None) -> dict:
    """Refusals of one candidate: today's explained checks, plus `checks` (picture statistics ->
    bool refusals), plus each scorer above its own `quantile` of the validation X-ray scores
    (with several scorers an image is refused when any one refuses it)."""
    refuse = {subset: np.asarray(d[f"{key}explained"], bool).copy() for subset, key in SUBSETS.items()}
    if checks is not None:
        for subset in refuse:
            refuse[subset] |= checks(_stats(d, subset))
    for scorer in scorers:
        threshold = np.quantile(scorer(d["val_pooled"], d["val_logits"]), quantile)
        for subset, key in SUBSETS.items():
            refuse[subset] |= scorer(d[f"{key}pooled"], d[f"{key}logits"]) > threshold
    row = {"candidate": name, "val FR": refuse["val"].mean(), "test FR": refuse["test"].mean(),
           "non-CXR": refuse["neg"].mean()}
    for kind in sorted(set(d["neg_kind"])):
        row[kind] = refuse["neg"][d["neg_kind"] == kind].mean()
    row["hold-out non-CXR"] = refuse["hold"].mean()
    for column in ("label", "source"):
        values = d[f"test_{column}"]
        for value in sorted(set(values)):
            mask = values == value
            row[f"FR {value} ({mask.sum()})"] = refuse["test"][mask].mean()
    row["missed"] = [str(n) for n in d["neg_name"][~refuse["neg"]]] + [str(n) for n in d["hold_name"][~refuse["hold"]]]
    return row


def _stats(d: dict, subset: str) -> pd.DataFrame:
    """Picture statistics of a subset's images, rows in the subset's order."""
    if subset == "index_all":
        return pd.DataFrame(d["index_stats"], columns=[str(c) for c in d["index_stat_names"]])
    if subset in ("neg", "hold"):
        return pd.DataFrame(d[f"{subset}_stats"], columns=[str(c) for c in d[f"{subset}_stat_names"]])
    stats = pd.DataFrame(d["index_stats"], columns=[str(c) for c in d["index_stat_names"]])
    row_of = {p: i for i, p in enumerate(d["index_path"])}
    return stats.iloc[[row_of[p] for p in d[f"{subset}_path"]]].reset_index(drop=True)


# --- candidate explained checks on the decoded picture ------------------------------------------
# Each threshold sits outside the range of all 7,516 X-rays of the index (printed by `main`), with
# a margin, and says in plain words what is wrong with the picture.

PICTURE_CHECKS = {
    # mean neighbour difference / contrast on a 128 px copy: X-rays 0.028-0.203
    "too smooth (edges < 0.02)": lambda s: s["edges"] < 0.02,
    "noise-like (edges > 0.35)": lambda s: s["edges"] > 0.35,
    # distinct grey levels: X-rays >= 108 (JPEG and equalisation fill the histogram)
    "few grey levels (<= 32)": lambda s: s["levels"] <= 32,
    # share of the two commonest grey levels: X-rays <= 0.81 (black borders); pages ~0.98
    "mostly two grey levels (> 0.9)": lambda s: s["top2_share"] > 0.9,
    # width / height: X-rays 0.78-2.31
    "extreme aspect (< 0.5 or > 2.5)": lambda s: (s["aspect"] < 0.5) | (s["aspect"] > 2.5),
}


def picture_checks(names):
    def refuse(stats: pd.DataFrame) -> np.ndarray:
        return np.any([PICTURE_CHECKS[n](stats).to_numpy() for n in names], axis=0)
    return refuse


def check_table(d: dict) -> str:
    """How many index X-rays and negatives each picture check refuses (alone)."""
    index, neg, hold = _stats(d, "index_all"), _stats(d, "neg"), _stats(d, "hold")
    header = ["picture check", f"index X-rays refused (of {len(index)})", f"non-CXR refused (of {len(neg)})",
              f"hold-out (of {len(hold)})"]
    rows = ([name, int(check(index).sum()), int(check(neg).sum()), int(check(hold).sum())]
            for name, check in PICTURE_CHECKS.items())
    return table(header, rows)


def candidates(d: dict):
    """(name, scorers, validation quantile, picture checks) of every candidate measured."""
    today, knn = fit_today(d), fit_knn(d, 10)
    checks = picture_checks(["too smooth (edges < 0.02)", "mostly two grey levels (> 0.9)"])
    yield "(a) today: Mahalanobis, q99", [today], 0.99, None
    yield "(b) today, q98.5", [today], 0.985, None
    yield "(b) today, q98", [today], 0.98, None
    yield "(c) today + picture checks, q99", [today], 0.99, checks
    yield "(c) today + picture checks, q98.5", [today], 0.985, checks
    yield "(d) Mahalanobis, no group scaling, q99", [fit_unscaled(d)], 0.99, None
    yield "(d) Mahalanobis, class centres, q99", [fit_class_centres(d)], 0.99, None
    yield "(d) class-conditional covariances, q99", [fit_class_conditional(d)], 0.99, None
    yield "(d) Mahalanobis in top-64 PCs, q99", [fit_pca(d, 64)], 0.99, None
    yield "(d) Mahalanobis in top-256 PCs, q99", [fit_pca(d, 256)], 0.99, None
    yield "(d) PCA residual (256 PCs), q99", [fit_residual(d, 256)], 0.99, None
    yield "(d) relative Mahalanobis, q99", [fit_relative(d)], 0.99, None
    yield "(d) energy of logits, q99", [fit_energy(d)], 0.99, None
    yield "(d) energy + Mahalanobis, q99.5 each", [fit_energy(d), today], 0.995, None
    yield "(e) kNN cosine, k=1, q99", [fit_knn(d, 1)], 0.99, None
    yield "(e) kNN cosine, k=10, q99", [knn], 0.99, None
    yield "(e) kNN cosine, k=50, q99", [fit_knn(d, 50)], 0.99, None
    yield "(e) kNN k=10, q99 + picture checks", [knn], 0.99, checks
    yield "(e) kNN k=10 + Mahalanobis, q99.5 each", [knn, today], 0.995, None
    yield "(e) kNN k=10 + Mahalanobis, q99.5 each + picture checks", [knn, today], 0.995, checks


def rates_table(rows: list[dict]) -> str:
    """The candidates' rates in percent, one row each (the `missed` lists left out)."""
    columns = [c for c in rows[0] if c != "missed"]
    cells = ([row[c] if isinstance(row[c], str) else f"{100 * row[c]:.1f}" for c in columns] for row in rows)
    return table(columns, cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ood_study"))
    parser.add_argument("--missed", action="store_true", help="list the non-X-ray pictures each candidate lets through")
    args = parser.parse_args()
    extract(args.cache)
    d = load(args.cache)
    rows = [evaluate(d, *candidate) for candidate in candidates(d)]
    parts = ["Rates in %. FR = false refusal of real X-rays (val: where the threshold is set; test: "
             f"{len(d['test_path'])} images); non-CXR = refusal of the {len(d['neg_name'])} pictures of "
             f"cxr.data.negatives (by kind after it); hold-out = {len(d['hold_name'])} other non-X-ray pictures.",
             rates_table(rows), check_table(d)]
    if args.missed:
        parts += [f"{row['candidate']}: {len(row['missed'])} let through: {', '.join(row['missed'])}" for row in rows]
    output = "\n\n".join(parts)
    print(output)
    write_output(PAGE, " ".join(["python -m studies.ood.candidates", *sys.argv[1:]]), output,
                 "Out-of-distribution guard")


if __name__ == "__main__":
    main()
