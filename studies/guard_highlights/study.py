"""Full-resolution cues for grey phone photos of films on a table: does either close the gap?

    python -m studies.guard_highlights.study

Issue 15, item 5: grey phone photos of X-ray films lying on a table pass the served guard (the
independent "table" family of studies/guard_families: 55 of 80 refused). The verifier sees a
16 x 16 thumbnail and pooled network features; the photo's traces (a halftone beat, the lamp's
burnt-out reflection) lie at full resolution. This study measures two cues of
`studies.guard_highlights.cues`, `beat_score` and `highlight_score`, in this order:

1. Real X-rays: every X-ray of the small sources and of the patient split's test subset, and a
   sample of raddb's others; scored per source group (cohen, nih = darkcovidnet, kermany =
   skytells + zargari, raddb), as the verifier's out-of-source budget is.
2. Thresholds from real X-rays alone, never from photos: for each cue, each source group's 99th
   percentile over its X-rays outside the patient split's test subset; the served threshold is the
   largest of them (every group <= about 1% refused). Out of source: a group's X-rays judged by the
   largest percentile of the other groups.
3. The generator family `table_photo` of `cxr.data.hard_negatives` (what the cues were developed
   on), made from training X-rays.
4. The patient split's 752 test X-rays through the served pipeline (`Predictor.load()`, every
   check), and what the cues would add to its refusals.
5. Once, with everything above fixed: the independent table photos of
   `cxr.data.held_out_families` (the same 80 held-out-patient X-rays as that study), refused
   by the served guard before and with the cues; then a second draw of them (seed 1), added after
   the first to check the beat cue alone. Reading and conclusion: docs/results/guard_highlights.md.

Scores and served refusals are cached under var/guard_highlights/ (git-ignored). One ONNX thread.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from cxr.data.hard_negatives import table_photo
from cxr.data.held_out_families import table_photos
from cxr.data.index import import_shared_manifest, task_frame
from cxr.data.splits import make_split
from cxr.evaluation.markdown import table, write_output
from cxr.inference import Predictor
from cxr.inference.decode import decode_image
from cxr.inference.guard import rules
from cxr.inference.site_check import wilson_interval
from studies.guard_highlights.cues import beat_score, highlight_score

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "guard_highlights.md"
CXR_DIR = REPO.parent / "shared" / "data" / "cxr"
CACHE = REPO / "var" / "guard_highlights"
CUES = {"beat": beat_score, "highlight": highlight_score}
PERCENTILE = 99.0
RADDB_OTHERS = 600  # raddb X-rays outside the test subset, sampled (its test X-rays are all scored)
GENERATED = 300
XRAYS_FOR_FAMILIES = 80  # as studies.guard_families.study draws them
GROUPS = {"cohen": "cohen", "darkcovidnet": "nih", "skytells": "kermany", "zargari": "kermany",
          "raddb": "raddb"}


def share(k: int, n: int) -> str:
    lo, hi = wilson_interval(k, n)
    return f"{k / n:.1%} [{lo:.1%}, {hi:.1%}]" if n else "n/a"


def _key(items: list) -> str:
    return hashlib.sha1("\n".join(str(i) if isinstance(i, str) else hashlib.sha1(i).hexdigest()
                                  for i in items).encode()).hexdigest()[:16]


def cue_scores(items: list, tag: str) -> dict[str, np.ndarray]:
    """Both cues of each item (a path or encoded bytes), decoded as the served pipeline decodes."""
    path = CACHE / f"{tag}-{_key(items)}.npz"
    if path.exists():
        with np.load(path) as data:
            return {name: data[name] for name in CUES}
    scores = {name: np.zeros(len(items)) for name in CUES}
    for i, item in enumerate(items):
        gray = decode_image(item).gray
        for name, cue in CUES.items():
            scores[name][i] = cue(gray)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **scores)
    return scores


def served(predictor: Predictor, items: list, tag: str) -> tuple[np.ndarray, list[str]]:
    """Refused by the served pipeline, and the reason code ('' when read)."""
    path = CACHE / f"served-{tag}-{predictor.version}-{_key(items)}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["refused"], list(data["reasons"])
    predictions = [p for s in range(0, len(items), 32) for p in predictor.predict_batch(items[s:s + 32])]
    refused = np.array([p.rejected for p in predictions])
    reasons = [p.reason.code if p.rejected else "" for p in predictions]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, refused=refused, reasons=np.array(reasons))
    return refused, reasons


def thresholds(scores: dict[str, np.ndarray], groups: np.ndarray, fitting: np.ndarray,
               leave_out: str | None = None) -> dict[str, float]:
    """Per cue: the largest of the source groups' 99th percentiles over the fitting X-rays."""
    names = [g for g in sorted(set(groups[fitting])) if g != leave_out]
    return {cue: max(float(np.percentile(values[fitting & (groups == g)], PERCENTILE)) for g in names)
            for cue, values in scores.items()}


def flags(scores: dict[str, np.ndarray], limits: dict[str, float]) -> dict[str, np.ndarray]:
    out = {cue: scores[cue] > limits[cue] for cue in CUES}
    out["either"] = np.logical_or.reduce([out[cue] for cue in CUES])
    return out


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m studies.guard_highlights.study", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    start = time.time()
    split = make_split(task_frame(import_shared_manifest(CXR_DIR), "3class"), "patient", seed=0)
    is_test = split["subset"] == "test"
    raddb_others = split[(split["source"] == "raddb") & ~is_test].sample(RADDB_OTHERS, random_state=0)
    rows = split[(split["source"] != "raddb") | is_test | split.index.isin(raddb_others.index)]
    rows = rows.reset_index(drop=True)
    sources = rows["source"].to_numpy()
    groups = np.array([GROUPS[s] for s in sources])
    test = (rows["subset"] == "test").to_numpy()
    fitting = ~test
    print(f"scoring {len(rows)} X-rays", file=sys.stderr)
    xray = cue_scores(list(rows["path"]), "xrays")
    limits = thresholds(xray, groups, fitting)
    predictor = Predictor.load(threads=1)
    print("reading them through the served pipeline", file=sys.stderr)
    xray_refused, _ = served(predictor, list(rows["path"]), "xrays")

    lines = [f"Cues at full resolution; thresholds = the largest of the source groups' "
             f"{PERCENTILE:.0f}th percentiles over their X-rays outside the patient split's test subset "
             f"(beat > {limits['beat']:.2f}, highlight > {limits['highlight']:.2f}); refused by the cues = "
             "either above its threshold. [95% Wilson interval]", ""]

    # Real X-rays, per source: judged by the served thresholds and by those of the other groups.
    per_source = []
    for source in sorted(set(sources)):
        own = sources == source
        group = GROUPS[source]
        out_limits = thresholds(xray, groups, fitting, leave_out=group)
        served_flags = flags({c: v[own] for c, v in xray.items()}, limits)
        out_flags = flags({c: v[own] for c, v in xray.items()}, out_limits)
        n = int(own.sum())
        q = {c: np.percentile(v[own], [50, 99]) for c, v in xray.items()}
        per_source.append([
            source, group, n, f"{q['beat'][0]:.1f} / {q['beat'][1]:.1f} / {xray['beat'][own].max():.1f}",
            f"{xray['highlight'][own].max():.2f}", share(int(served_flags["beat"].sum()), n),
            share(int(served_flags["highlight"].sum()), n), share(int(served_flags["either"].sum()), n),
            f"{out_limits['beat']:.2f}, {out_limits['highlight']:.2f}", share(int(out_flags["either"].sum()), n),
            share(int(out_flags["beat"].sum()), n),
            share(int(xray_refused[own].sum()), n), share(int((xray_refused[own] | served_flags["either"]).sum()), n),
            share(int((xray_refused[own] | served_flags["beat"]).sum()), n)])
    lines += ["**Real X-rays** (every X-ray of each source but raddb's, of which the test subset and "
              f"{RADDB_OTHERS} others; the served thresholds were set on the non-test ones, so those "
              "rates are in-sample; `other groups` = thresholds from the other source groups alone, "
              "the rate a source never seen would meet; `served` = the served pipeline, every check, "
              "in-sample for its non-test X-rays, which the network and verifier were fitted on):", "",
              table(["source", "group", "n", "beat median / 99th / max", "highlight max", "beat refuses",
                     "highlight refuses", "cues refuse", "other groups' thresholds", "cues refuse (other groups)", "beat refuses (other groups)",
                     "served refuses", "served + cues", "served + beat alone"], per_source, "llrllrrrlrrrrr"), ""]

    # The generator family the cues were developed on.
    train = split[split["subset"] == "train"].sample(GENERATED, random_state=3)
    rng = np.random.default_rng(11)
    generated = [table_photo(decode_image(p).gray, rng) for p in train["path"]]
    grey = np.array([decode_image(d).colour_tint <= rules.MAX_COLOUR_TINT for d in generated])
    gen_flags = flags(cue_scores(generated, "table_photo"), limits)
    gen_rows = []
    for name, keep in (("all", np.ones(len(generated), bool)), ("grey (tint <= 3)", grey)):
        n = int(keep.sum())
        gen_rows.append([name, n] + [share(int(gen_flags[c][keep].sum()), n) for c in ("beat", "highlight", "either")])
    lines += [f"**Generator family `table_photo`** (`cxr.data.hard_negatives`, {GENERATED} from training "
              "X-rays; what the cues were developed on; the tint rule refuses the coloured ones anyway):", "",
              table(["photos", "n", "beat refuses", "highlight refuses", "cues refuse"], gen_rows, "lrrrr"), ""]

    # The patient split's test X-rays through the served pipeline, and what the cues add.
    test_paths = list(rows.loc[test, "path"])
    test_refused = xray_refused[test]
    test_flags = flags({c: v[test] for c, v in xray.items()}, limits)["either"]
    added = test_flags & ~test_refused
    beat_added = (xray["beat"][test] > limits["beat"]) & ~test_refused
    n_test = len(test_paths)
    lines += [f"**Patient split's test X-rays** ({n_test}, held out from the thresholds): the served "
              f"pipeline refuses {int(test_refused.sum())} ({share(int(test_refused.sum()), n_test)}); the cues "
              f"flag {int(test_flags.sum())}, of which {int(added.sum())} are not refused already; with the cues "
              f"{int((test_refused | test_flags).sum())} of {n_test} "
              f"({share(int((test_refused | test_flags).sum()), n_test)}). Added, by source: "
              + (", ".join(f"{s} {k}" for s, k in Counter(sources[test][added]).most_common()) or "none")
              + f". The beat cue alone adds {int(beat_added.sum())}.", ""]

    # Once: the independent family. Then a second draw of it (other photos, other held-out X-rays),
    # which nothing was chosen on: it checks the beat-alone reading chosen after the first.
    test_rows = split[is_test].reset_index(drop=True)
    draws = ((0, "**Independent family** (studies/guard_families \"X-ray on a table, photographed\", the 80 "
                 "that study draws from held-out patients' X-rays; measured once, after everything above was fixed):"),
             (1, "**A second draw of the independent family** (seed 1: other photos of another 80 held-out "
                 "patients' X-rays drawn the same way; run after the first, to check the beat cue alone, "
                 "which was chosen after seeing the first):"))
    for seed, title in draws:
        pick = np.random.default_rng(seed).choice(len(test_rows), XRAYS_FOR_FAMILIES, replace=False)
        chosen = test_rows.iloc[np.sort(pick)]
        family = table_photos([decode_image(CXR_DIR / p).gray for p in chosen["path"]], seed=seed)
        names = [name for name, _ in family.items]
        photos = [data for _, data in family.items]
        tag = "table" if seed == 0 else f"table-seed{seed}"
        before, reasons = served(predictor, photos, tag)
        scores = cue_scores(photos, tag)
        cue = flags(scores, limits)
        ind_rows = []
        for kind, keep in (("all", np.ones(len(names), bool)),
                           ("grey", np.array(["/grey" in n for n in names])),
                           ("warm", np.array(["/warm" in n for n in names]))):
            n = int(keep.sum())
            k_before, k_after = int(before[keep].sum()), int((before | cue["either"])[keep].sum())
            ind_rows.append([kind, n, share(k_before, n), share(int(cue["beat"][keep].sum()), n),
                             share(int(cue["highlight"][keep].sum()), n), share(int(cue["either"][keep].sum()), n),
                             int((cue["either"] & ~before)[keep].sum()), share(k_after, n),
                             share(int((before | cue["beat"])[keep].sum()), n)])
        lines += [title, "",
                  table(["photos", "n", "served guard refuses", "beat refuses", "highlight refuses", "cues refuse",
                         "newly refused", "served guard + cues", "served guard + beat alone"], ind_rows, "lrrrrrrrr"),
                  "", "Served refusal reasons: "
                  + ", ".join(f"{r} {k}" for r, k in Counter(r for r in reasons if r).most_common())
                  + ". Beat scores of the photos the served guard reads: "
                  + ", ".join(f"{v:.1f}" for v in np.sort(scores["beat"][~before])) + ".", ""]
    lines += [f"({time.time() - start:.0f} s)"]
    output = "\n".join(lines)
    print(output)
    command = " ".join(["python -m studies.guard_highlights.study", *(argv if argv is not None else sys.argv[1:])])
    write_output(PAGE, command, output, "Full-resolution cues for photos of films on a table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
