"""A chest X-ray verifier for the guard, measured with whole families and whole sources left out.

    python -m studies.guard_verifier.study [--install models/bundled] [--positive-variants N]
        [--threshold-folds sources|random] [--unweighted] [--layout-components K]

Issue 15, item 5: X-rays photographed on a monitor (48.8% refused), crops without both lungs
(78.8%) and destroyed X-rays (97.9%) got through the served guard (docs/results/guard_families.md).
The feature guard measures distance from training X-rays, and these pictures keep X-ray texture.
This study fits `cxr.inference.guard.verifier` (lung-field statistics, a 16 x 16 thumbnail and the
network's pooled features on 32 principal axes; L2 logistic regression) on:

- positives: real X-rays of the bundled model's training subset (patient split, seed 0), a
  sample per source;
- negatives: `cxr.data.hard_negatives` built from other training-subset X-rays (screen photos,
  partial views, degraded films) and the negative set's pictures.

Threshold: P(not a chest X-ray) above the 99th percentile of out-of-source scores of the fitting
X-rays: each source group's X-rays scored by a fit that never saw that group, so the 1% budget
(what is left under the 2% target after the other checks) holds for a hospital the fit never saw,
not only for new patients of known ones. Each source group weighs the same in the fit, so the
largest (raddb, 900 of 1,683) does not define what an X-ray looks like. `--threshold-folds random
--unweighted --positive-variants 0` gives the rule shipped before 2026-12-03 (five random folds,
every X-ray weighing the same, real X-rays only), which refused 6.8% of raddb's X-rays with raddb
left out (6.0% with today's five families). Two leave-out protocols, each a separate fit (with a group left out, the threshold comes
from the remaining groups alone):
- family left out: refusal rate of a whole negative family the fit never saw (and of screen and
  film photos left out together, two related kinds);
- source left out: false refusals of real X-rays of a source group the fit never saw.
`--install DIR` fits on everything, writes DIR/verifier.npz, and records in the card how many of
the patient split's test X-rays the served pipeline (every check) then refuses, the count the
card's limitations state; the served pipeline is measured on the evaluation families by
`python -m studies.guard_families.study`.
`--positive-variants N` (default 1, the shipped fit) adds N acquisition variants of every fitting
X-ray to the positives: with the out-of-source threshold they lower raddb's false refusals (1.4%
-> 0.8% with raddb left out) at a small cost on unseen photo kinds (docs/results/guard_verifier.md).
`--layout-components K` (default 64; 0: none, the fit shipped until 2026-12-04) adds the
one-class layout check (`LayoutDensity`): fitted on the X-rays alone, its threshold the 99.5th
percentile of their out-of-source scores, so regression and layout together stay near the 1%
budget on unseen sources. It is part of every fit below, so the family-left-out rows measure it too.
Features are cached under var/guard_verifier/ (git-ignored).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter, ImageOps
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from cxr.data.hard_negatives import build_hard_negatives
from cxr.data.index import import_shared_manifest, task_frame
from cxr.data.splits import make_split
from cxr.evaluation.markdown import table, write_output
from cxr.inference import Predictor, decode
from cxr.inference.card import ModelCard, VerifierCheck, json_safe
from cxr.inference.decode import decode_image
from cxr.inference.errors import ImageError
from cxr.inference.guard import rules
from cxr.inference.guard.verifier import (
    VERIFIER_FILE,
    ChestXrayVerifier,
    LayoutDensity,
    lung_statistics,
    small_thumbnails,
)
from cxr.inference.limitations import with_limitations
from cxr.inference.lung_field import LUNG_FIELD_FILE, LungField
from cxr.inference.rendering import png_bytes
from cxr.inference.site_check import proportion
from cxr.preprocess import prepare_gray

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "guard_verifier.md"
CXR_DIR = REPO.parent / "shared" / "data" / "cxr"
CACHE = REPO / "var" / "guard_verifier"
BUNDLED = REPO / "models" / "bundled"
PER_SOURCE = {"raddb": 900, "darkcovidnet": None, "skytells": None, "cohen": None, "zargari": None}
SOURCE_GROUPS = {"cohen": ("cohen",), "nih": ("darkcovidnet",), "kermany": ("skytells", "zargari"),
                 "raddb": ("raddb",)}
NEGATIVES_PER_FAMILY = 300
# Related kinds also left out together: a fit that saw film photos has seen much of what a screen
# photo looks like, so leaving out one of them alone is the milder test.
FAMILIES_LEFT_OUT_TOGETHER = {"screen_photo+film_photo": ("screen_photo", "film_photo"),
                              "screen_photo+film_photo+table_photo": ("screen_photo", "film_photo", "table_photo")}
COMPONENTS = 32
C_REGULARISATION = 0.05
FALSE_REFUSALS = 0.01
# The layout check: principal axes of the standardised lung statistics and thumbnail, and its own
# out-of-source budget (half the regression's, so the two together stay near it on unseen sources).
# 64 axes hold 97% of the layout's variance; chosen with 0.995 among 4-128 axes and 0.99/0.995 on
# this study's tables (docs/results/guard_verifier.md says so).
LAYOUT_COMPONENTS = 64
LAYOUT_FALSE_REFUSALS = 0.005


def _sample(split: pd.DataFrame, subset: str, seed: int = 0) -> pd.DataFrame:
    rows = split[split["subset"] == subset]
    parts = []
    for source, part in rows.groupby("source"):
        n = PER_SOURCE.get(source)
        parts.append(part if n is None or len(part) <= n else part.sample(n=n, random_state=seed))
    return pd.concat(parts).sort_values("path").reset_index(drop=True)


def acquisition_variant(gray: np.ndarray, rng: np.random.Generator) -> bytes:
    """The same chest X-ray as another hospital's equipment and export might deliver it: other
    exposure curve (gamma), contrast and brightness, sharpness, noise, a few degrees of tilt and
    zoom, sometimes equalised or saved as JPEG. Every change stays within what a readable film
    shows, far milder than the `degraded` negatives (posterised, blurred by 8-20 px, solarised)."""
    img = Image.fromarray(gray)
    if rng.random() < 0.2:
        img = ImageOps.equalize(img)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    # Tilt and zoom about the centre in one affine map (output pixel -> input pixel).
    angle, zoom = np.deg2rad(rng.uniform(-8, 8)), float(rng.uniform(0.9, 1.1))
    cx, cy = img.width / 2, img.height / 2
    a, b = np.cos(angle) / zoom, np.sin(angle) / zoom
    img = img.transform(img.size, Image.Transform.AFFINE,
                        (a, b, cx - a * cx - b * cy, -b, a, cy + b * cx - a * cy),
                        resample=Image.Resampling.BILINEAR, fillcolor=0)
    arr = np.asarray(img, np.float32) / 255.0
    arr = arr ** float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
    arr = arr * rng.uniform(0.75, 1.25) + rng.uniform(-0.1, 0.1) + rng.normal(0, rng.uniform(0, 0.02), arr.shape)
    out = Image.fromarray((np.clip(arr, 0, 1) * 255).round().astype(np.uint8))
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        out.save(buffer, format="JPEG", quality=int(rng.integers(70, 96)))
        return buffer.getvalue()
    return png_bytes(out)


def _cache_path(tag: str, predictor: Predictor, items: list[bytes | str], suffix: str) -> Path:
    """Where results for exactly these items (bytes or paths) under this model, decoder and rules
    layer are cached (a new rule changes the cached `by_rules`)."""
    code = b"".join(Path(module.__file__).read_bytes() for module in (decode, rules))
    key = hashlib.sha1((tag + predictor.version + str(len(items))).encode() + code
                       + b"".join(hashlib.sha1(i if isinstance(i, bytes) else i.encode()).digest()
                                  for i in items)).hexdigest()[:12]
    return CACHE / f"{tag}_{key}{suffix}"


def _features(items: list[bytes | str], predictor: Predictor, segmenter: LungField, tag: str) -> dict:
    """Per item: lung statistics, thumbnail, pooled features, and whether the rules layer (size,
    colour, blank) already refuses it. Unreadable items get refused_by_rules=True."""
    path = _cache_path(tag, predictor, items, ".npz")
    if path.exists():
        with np.load(path) as data:
            return dict(data)
    prepared, by_rules = [], []
    started = time.time()
    for i, item in enumerate(items):
        try:
            decoded = decode_image(item)
            by_rules.append(rules.explained_refusal(decoded) is not None)
            prepared.append(prepare_gray(decoded.gray, predictor.input_size, predictor.contrast))
        except ImageError:
            by_rules.append(True)
            prepared.append(np.zeros((predictor.input_size,) * 2, np.uint8))
        if (i + 1) % 500 == 0:
            print(f"  {tag}: {i + 1}/{len(items)} decoded, {time.time() - started:.0f} s", file=sys.stderr)
    prepared = np.stack(prepared)
    _, pooled = predictor.logits_and_features(prepared)
    lungs = np.concatenate([segmenter.probabilities(prepared[s:s + 64]) for s in range(0, len(prepared), 64)])
    result = {"lung": lung_statistics(lungs), "thumb": small_thumbnails(prepared),
              "pooled": pooled.astype(np.float32), "by_rules": np.array(by_rules)}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **result)
    return result


def source_group(sources: np.ndarray) -> np.ndarray:
    """Source -> its group in SOURCE_GROUPS (the units left out together)."""
    group_of = {source: group for group, members in SOURCE_GROUPS.items() for source in members}
    return np.array([group_of[s] for s in sources])


def _random_folds(pos: dict, neg: dict, seed: int):
    """Five stratified folds; an X-ray and its variants share a fold, so no fold sees a twin."""
    y = np.r_[np.zeros(len(pos["pooled"])), np.ones(len(neg["pooled"]))]
    if "xray" in pos:
        groups = np.r_[pos["xray"], pos["xray"].max() + 1 + np.arange(len(neg["pooled"]))]
        return StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(y, y, groups)
    return StratifiedKFold(5, shuffle=True, random_state=seed).split(y, y)


def _source_folds(groups: np.ndarray, negatives: int):
    """One fold per source group: its X-rays held out, every negative kept in the fit (only the
    positives' held-out scores set the threshold)."""
    everything_negative = len(groups) + np.arange(negatives)
    for group in sorted(set(groups)):
        yield np.r_[np.flatnonzero(groups != group), everything_negative], np.flatnonzero(groups == group)


def refused_by_other_checks(items: list[bytes], predictor: Predictor, tag: str) -> np.ndarray:
    """Per item: refused by the served guard without its verifier (rules, orientation check,
    feature guard), so that a family left out of the verifier's fit is judged by the whole guard
    a user meets. Cached under var/ like the features."""
    path = _cache_path(tag, predictor, items, ".npy")
    if path.exists():
        return np.load(path)
    without_verifier = Predictor(predictor.model_dir, predictor.session, predictor.card, predictor.detector,
                                 orientation=predictor.orientation, lung_field=predictor.lung_field)
    result = _rejected(without_verifier, items)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, result)
    return result


def served_guard_refusals(model_dir: Path, paths: list[str]) -> np.ndarray:
    """Per X-ray: refused by the served pipeline of `model_dir` as a user meets it (every check,
    with orientation corrected before the verifier reads the picture). Not cached: it is what the
    card states."""
    return _rejected(Predictor.load(model_dir, threads=2), paths)


def _rejected(predictor: Predictor, items: list) -> np.ndarray:
    """Per item (bytes or path): refused by `predictor`, read 64 at a time."""
    return np.array([p.rejected for s in range(0, len(items), 64) for p in predictor.predict_batch(items[s:s + 64])])


def layout_features(part: dict) -> np.ndarray:
    """The leading columns of the verifier's features: lung statistics, then the thumbnail."""
    return np.concatenate([part["lung"], part["thumb"]], axis=1)


def _layout_density(layout: np.ndarray, components: int, seed: int = 0) -> LayoutDensity:
    """The one-class layout model of `layout` (rows of X-rays), threshold not yet set."""
    mean, scale = layout.mean(axis=0), layout.std(axis=0) + 1e-6
    z = (layout - mean) / scale
    pca = PCA(components, random_state=seed).fit(z)
    projected = pca.transform(z)
    shrunk = LedoitWolf().fit(projected)
    off_axes = z - pca.inverse_transform(projected)
    return LayoutDensity(mean=mean, scale=scale, centre=pca.mean_, components=pca.components_,
                         location=shrunk.location_, precision=shrunk.precision_,
                         residual=float((off_axes ** 2).sum(axis=1).mean()), threshold=np.inf)


def fit_layout_density(pos: dict, groups: np.ndarray, components: int = LAYOUT_COMPONENTS,
                       seed: int = 0) -> LayoutDensity:
    """Fit on the positives alone; the threshold is the (1 - LAYOUT_FALSE_REFUSALS) quantile of
    the real X-rays' scores, each source group scored by a fit without it."""
    layout = layout_features(pos)
    held_out = np.full(len(layout), np.nan)
    for group in sorted(set(groups)):
        rows = groups == group
        held_out[rows] = _layout_density(layout[~rows], components, seed).scores(layout[rows])
    real = pos.get("real", np.ones(len(layout), bool))
    threshold = float(np.quantile(held_out[real], 1 - LAYOUT_FALSE_REFUSALS))
    return dataclasses.replace(_layout_density(layout, components, seed), threshold=threshold)


def fit(pos: dict, neg: dict, groups: np.ndarray, seed: int = 0, threshold_folds: str = "sources",
        weigh_sources: bool = True, layout_components: int = 0) -> ChestXrayVerifier:
    """Fit on positive and negative feature dicts. `groups` names each positive's source group.
    The threshold is the (1 - FALSE_REFUSALS) quantile of held-out positive scores, from one fold
    per source group (`threshold_folds="sources"`) or five random folds ("random").
    `layout_components` > 0 adds the one-class layout check (fit_layout_density)."""
    def design(pca: PCA, part: dict) -> np.ndarray:
        return np.concatenate([part["lung"], part["thumb"], pca.transform(part["pooled"])], axis=1)

    pooled = np.concatenate([pos["pooled"], neg["pooled"]])
    y = np.r_[np.zeros(len(pos["pooled"])), np.ones(len(neg["pooled"]))]
    weight = np.ones(len(y))
    if weigh_sources:  # every source group's X-rays weigh the same in total
        for group in set(groups):
            weight[np.flatnonzero(groups == group)] = len(groups) / (len(set(groups)) * np.sum(groups == group))

    def fit_once(rows: np.ndarray) -> tuple[PCA, np.ndarray, np.ndarray, LogisticRegression]:
        pca = PCA(COMPONENTS, random_state=seed).fit(pooled[rows])
        x = np.concatenate([design(pca, pos), design(pca, neg)])[rows]
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        model = LogisticRegression(C=C_REGULARISATION, class_weight="balanced", max_iter=5000)
        model.fit((x - mean) / scale, y[rows], sample_weight=weight[rows])
        return pca, mean, scale, model

    oof = np.full(len(y), np.nan)
    folds = (_source_folds(groups, len(neg["pooled"])) if threshold_folds == "sources"
             else _random_folds(pos, neg, seed))
    for train, held in folds:
        pca, mean, scale, model = fit_once(train)
        x_all = np.concatenate([design(pca, pos), design(pca, neg)])
        oof[held] = model.predict_proba((x_all[held] - mean) / scale)[:, 1]
    # The false-refusal budget is set on real X-rays only, never on their made-up variants.
    real = np.r_[pos.get("real", np.ones(len(pos["pooled"]), bool)), np.zeros(len(neg["pooled"]), bool)]
    threshold = float(np.quantile(oof[real], 1 - FALSE_REFUSALS))
    pca, mean, scale, model = fit_once(np.arange(len(y)))
    layout = fit_layout_density(pos, groups, layout_components, seed) if layout_components else None
    return ChestXrayVerifier(components=pca.components_, centre=pca.mean_, mean=mean, scale=scale,
                             coef=model.coef_[0], intercept=float(model.intercept_[0]), threshold=threshold,
                             layout=layout)


def refused(verifier: ChestXrayVerifier, part: dict, rows: np.ndarray | None = None) -> np.ndarray:
    rows = np.arange(len(part["pooled"])) if rows is None else rows
    x = np.concatenate([part["lung"][rows], part["thumb"][rows],
                        (part["pooled"][rows].astype(np.float64) - verifier.centre) @ verifier.components.T], axis=1)
    return verifier.refuses_features(x)


def _subset(part: dict, rows: np.ndarray) -> dict:
    return {k: v[rows] for k, v in part.items()}


def _proportion(hits: np.ndarray) -> dict:
    return proportion(int(np.sum(hits)), int(len(hits)))


def _cell(hits: np.ndarray) -> str:
    p = _proportion(hits)
    if p["value"] is None:
        return "n/a"
    lo, hi = p["ci95"]
    return f"{100 * p['value']:.1f}% [{100 * lo:.1f}%, {100 * hi:.1f}%]"


def _threshold_words(threshold_folds: str) -> str:
    held_out = ("out-of-source scores: each source group scored by a fit without it"
                if threshold_folds == "sources" else "out-of-fold scores, five random folds")
    return f"{100 * (1 - FALSE_REFUSALS):.0f}th percentile of the fitting X-rays' {held_out}"


def _install_card_section(model_dir: Path, verifier: ChestXrayVerifier, fitted_on: dict,
                          by_family: dict, by_source: dict, on_test: dict, guard_on_test: dict,
                          options: dict) -> None:
    card = ModelCard.load(model_dir)
    section = VerifierCheck(
        method=f"L2 logistic regression (C={C_REGULARISATION}) on lung-field statistics, a 16 x 16 "
               f"thumbnail and the pooled features on {COMPONENTS} principal axes"
               + (", every source group weighing the same" if options["weigh_sources"] else "")
               + f"; threshold: {_threshold_words(options['threshold_folds'])}"
               + (f"; and a one-class layout check (lung statistics and thumbnail on "
                  f"{options['layout_components']} principal axes: shrunk Mahalanobis plus off-axis "
                  f"distance, fitted on the X-rays alone; threshold: "
                  f"{100 * (1 - LAYOUT_FALSE_REFUSALS):.1f}th percentile of their out-of-source scores)"
                  if options["layout_components"] else ""),
        file=VERIFIER_FILE, threshold=verifier.threshold, false_refusal_budget=FALSE_REFUSALS,
        fitted_on=fitted_on, families_left_out=by_family, sources_left_out=by_source,
        patient_split_test=on_test, served_guard_patient_split_test=guard_on_test)
    card = card.replace(verifier=VerifierCheck.from_dict(json_safe(section.to_dict())))
    with_limitations(card).write(model_dir)  # the limitations state the whole guard's refusals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--install", type=Path, help=f"fit on everything and write DIR/{VERIFIER_FILE}")
    parser.add_argument("--positive-variants", type=int, default=1, metavar="N",
                        help="add N acquisition variants of every fitting X-ray to the positives "
                             "(default 1, the shipped fit; 0: real X-rays only)")
    parser.add_argument("--threshold-folds", choices=("sources", "random"), default="sources",
                        help="held-out scores that set the threshold: one fold per source group "
                             "(default) or five random folds (the fit shipped before 2026-12-03)")
    parser.add_argument("--unweighted", action="store_true",
                        help="every X-ray weighs the same (default: every source group does)")
    parser.add_argument("--layout-components", type=int, default=LAYOUT_COMPONENTS, metavar="K",
                        help=f"principal axes of the one-class layout check (default {LAYOUT_COMPONENTS}; "
                             "0: no layout check, the fit shipped until 2026-12-04)")
    args = parser.parse_args(argv)
    options = {"threshold_folds": args.threshold_folds, "weigh_sources": not args.unweighted,
               "layout_components": args.layout_components}
    if not (CXR_DIR / "manifest.csv").exists():
        raise SystemExit(f"no X-rays at {CXR_DIR}: nothing to fit or measure")
    started = time.time()
    predictor = Predictor.load(BUNDLED, threads=2)
    segmenter = LungField.load(BUNDLED / LUNG_FIELD_FILE)
    split = make_split(task_frame(import_shared_manifest(CXR_DIR), "3class"), "patient", seed=0)
    fit_rows = _sample(split, "train")
    test_rows = split[split["subset"] == "test"].reset_index(drop=True)
    # Negatives are made from training X-rays not among the positives where possible.
    rest = split[(split["subset"] == "train") & ~split["path"].isin(fit_rows["path"])]
    bases = rest if len(rest) >= 200 else fit_rows
    bases = bases.sample(n=min(600, len(bases)), random_state=1)
    xrays = [decode_image(p).gray for p in bases["path"]]
    negatives = build_hard_negatives(xrays, NEGATIVES_PER_FAMILY)
    families = np.array([n.family for n in negatives])
    print(f"{len(fit_rows)} fitting X-rays, {len(test_rows)} test X-rays, {len(negatives)} negatives",
          file=sys.stderr)
    pos = _features(list(fit_rows["path"]), predictor, segmenter, "positives")
    sources = fit_rows["source"].to_numpy()
    if args.positive_variants:
        rng = np.random.default_rng(2)
        grays = [decode_image(p).gray for p in fit_rows["path"]]
        variants = [acquisition_variant(g, rng) for _ in range(args.positive_variants) for g in grays]
        extra = _features(variants, predictor, segmenter, "positive_variants")
        pos = {k: np.concatenate([pos[k], extra[k]]) for k in pos}
        pos["xray"] = np.tile(np.arange(len(fit_rows)), 1 + args.positive_variants)
        pos["real"] = np.arange(len(pos["xray"])) < len(fit_rows)
        sources = np.concatenate([sources] * (1 + args.positive_variants))
    groups = source_group(sources)
    test = _features(list(test_rows["path"]), predictor, segmenter, "test")
    neg = _features([n.data for n in negatives], predictor, segmenter, "negatives")
    by_other_checks = refused_by_other_checks([n.data for n in negatives], predictor, "negatives_other_checks")

    lines = [f"Fitting X-rays: {len(fit_rows)} of the training subset ("
             + ", ".join(f"{s} {n}" for s, n in fit_rows["source"].value_counts().sort_index().items())
             + f"). Negatives: {len(negatives)} ("
             + ", ".join(f"{f} {n}" for f, n in pd.Series(families).value_counts().sort_index().items())
             + f"). Refused = P(not a chest X-ray) above the threshold ({_threshold_words(args.threshold_folds)}); "
             + ("every source group weighs the same in the fit" if options["weigh_sources"]
                else "every X-ray weighs the same in the fit")
             + (f"; or the layout check's score above the {100 * (1 - LAYOUT_FALSE_REFUSALS):.1f}th percentile of "
                f"the fitting X-rays' out-of-source scores ({args.layout_components} axes; fitted on X-rays "
                "only, so its own column is the same whichever family is left out)" if args.layout_components
                else "; no layout check")
             + "; the rules layer (size, colour, blank) is counted separately. [95% Wilson interval]", ""]

    rows, by_family, by_source = [], {}, {}
    left_out = {family: (family,) for family in sorted(set(families))} | FAMILIES_LEFT_OUT_TOGETHER
    for family, members in left_out.items():
        keep = ~np.isin(families, members)
        verifier = fit(pos, _subset(neg, np.flatnonzero(keep)), groups, **options)
        held = np.flatnonzero(~keep)
        by_verifier = refused(verifier, neg, held)
        layout_cell = "-"
        if verifier.layout:
            layout_cell = _cell(verifier.layout.scores(layout_features(neg)[held]) > verifier.layout.threshold)
        by_rules, by_guard = neg["by_rules"][held], by_verifier | by_other_checks[held]
        by_family[family] = {"verifier": _proportion(by_verifier), "rules": _proportion(by_rules),
                             "either": _proportion(by_verifier | by_rules), "whole_guard": _proportion(by_guard)}
        rows.append([family, len(held), layout_cell, _cell(by_verifier), _cell(by_rules),
                     _cell(by_verifier | by_rules), _cell(by_guard), f"{verifier.threshold:.3f}"])
    lines += ["**Negative family left out of the fit** (refusal of the whole family; verifier = regression "
              "or layout check; whole guard = this verifier or any other served check: rules, orientation, "
              "feature guard):", "",
              table(["family left out", "n", "layout check alone", "verifier refuses", "rules refuse", "either",
                     "whole guard", "threshold"], rows, "lrrrrrrr"), ""]

    rows = []
    test_sources = test_rows["source"].to_numpy()
    for group, members in SOURCE_GROUPS.items():
        out = np.isin(sources, members)
        verifier = fit(_subset(pos, np.flatnonzero(~out)), neg, groups[~out], **options)
        out[len(fit_rows):] = False  # judged on the source's real X-rays, not on their variants
        held_fit = refused(verifier, pos, np.flatnonzero(out))
        held_test = refused(verifier, test, np.flatnonzero(np.isin(test_sources, members)))
        by_source[group] = {"training_xrays": _proportion(held_fit), "test_xrays": _proportion(held_test)}
        rows.append([group, int(out.sum()), _cell(held_fit), int(len(held_test)), _cell(held_test)])
    lines += ["**Source group left out of the fit** (false refusals of its real X-rays):", "",
              table(["source left out", "training X-rays", "refused", "test X-rays", "refused"], rows,
                    "lrrrr"), ""]

    verifier = fit(pos, neg, groups, **options)
    on_test = refused(verifier, test)
    layout_words = (f", layout threshold {verifier.layout.threshold:.2f}" if verifier.layout else "")
    lines += [f"**Fitted on everything**: threshold {verifier.threshold:.3f}{layout_words}; patient-split test X-rays "
              f"refused by the verifier: {_cell(on_test)} of {len(on_test)} ("
              + ", ".join(f"{s} {int(on_test[test_sources == s].sum())}/{int((test_sources == s).sum())}"
                          for s in sorted(set(test_sources))) + ")."]
    if args.install:
        verifier.save(Path(args.install) / VERIFIER_FILE)
        guard_on_test = served_guard_refusals(Path(args.install), list(test_rows["path"]))
        lines.append(f"The served pipeline with this verifier installed (every check, orientation turned "
                     f"back first) refuses {_cell(guard_on_test)} of the same X-rays "
                     f"({int(guard_on_test.sum())} of {len(guard_on_test)}).")
        _install_card_section(Path(args.install), verifier, {
            "xrays": int(len(fit_rows)), "acquisition_variants_per_xray": int(args.positive_variants),
            "negatives": {str(f): int(n) for f, n in pd.Series(families).value_counts().sort_index().items()},
        }, by_family, by_source, _proportion(on_test), _proportion(guard_on_test), options)
        lines.append(f"Installed as {Path(args.install).name}/{VERIFIER_FILE}.")
    lines.append(f"\n({time.time() - started:.0f} s)")
    output = "\n".join(lines)
    print(output)
    write_output(PAGE, " ".join(["python -m studies.guard_verifier.study", *sys.argv[1:]]), output,
                 "A chest X-ray verifier for the guard, families and sources left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
