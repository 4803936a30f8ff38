"""Does the served guard refuse harder non-X-ray pictures, family by family? And real X-rays?

    python -m studies.guard_families.study

Issue 15, item 5 asks for a larger and harder negative set from more families, with whole
families kept out of fitting, and sets the target "held-out negative families: >= 99% refused;
real X-rays of held-out sources <= 2% refused". This study measures the bundled model as it is
served (`Predictor.load()`: rules, orientation check, feature guard, trust fit) on the families
of `cxr.data.held_out_families`; nothing is fitted here. Families whose kind the negative
set of `cxr.data.negatives` has no picture of are held out by construction (the guard's
threshold was set on validation X-rays alone; that set only ever measured it).

The X-rays used to make the monitor photos, crops and transforms, and the real X-rays whose
false refusals are counted, are rows of the bundled model's test subset (its patient split, seed
0): patients it never saw. No whole source is held out from the bundled model (it trained on all
five), so "held-out sources" can only be approximated here by held-out patients per source.

Per family: pictures, the share refused (rejected=True) with its 95% Wilson interval, the share
read with a label, the share read without one (uncertain), the refusal reasons, and the labels
given when not refused. Imports cxr, numpy, pandas.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from cxr.data.held_out_families import all_families
from cxr.data.index import import_shared_manifest, task_frame
from cxr.data.splits import make_split
from cxr.evaluation.markdown import table, write_output
from cxr.inference import Predictor
from cxr.inference.decode import decode_image
from cxr.inference.site_check import wilson_interval

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "guard_families.md"
CXR_DIR = REPO.parent / "shared" / "data" / "cxr"
TARGET_REFUSED = 0.99
TARGET_FALSE_REFUSED = 0.02
XRAYS_FOR_FAMILIES = 80
XRAYS_PER_SOURCE = 700


def share(k: int, n: int) -> str:
    lo, hi = wilson_interval(k, n)
    return f"{k / n:.1%} [{lo:.1%}, {hi:.1%}]" if n else "n/a"


def counts(values) -> str:
    return ", ".join(f"{name} {count}" for name, count in Counter(values).most_common()) or "-"


def outcome(predictions) -> dict:
    refused = [p for p in predictions if p.rejected]
    read = [p for p in predictions if not p.rejected]
    return {
        "n": len(predictions),
        "refused": len(refused),
        "labelled": sum(p.label is not None for p in predictions),
        "uncertain": sum(p.label is None for p in read),
        "reasons": counts(p.reason.code for p in refused),
        "labels": counts(p.label or f"({max(p.probabilities, key=p.probabilities.get)})" for p in read),
        "corrected": sum(any(w.code.startswith("corrected_") for w in p.warnings) for p in read),
    }


def main(argv: list[str] | None = None) -> int:
    # No options: parsing anyway makes --help print this text instead of running the whole study
    # (and writing a block named "--help" into the results page), and a typo fail loudly.
    argparse.ArgumentParser(prog="python -m studies.guard_families.study", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    start = time.time()
    predictor = Predictor.load()
    split = make_split(task_frame(import_shared_manifest(CXR_DIR), "3class"), "patient", seed=0)
    test = split[split["subset"] == "test"].reset_index(drop=True)
    rng = np.random.default_rng(0)
    chosen = test.iloc[np.sort(rng.choice(len(test), XRAYS_FOR_FAMILIES, replace=False))]
    xrays = [decode_image(CXR_DIR / path).gray for path in chosen["path"]]

    rows, orientation_rows, summary = [], [], []
    for family in all_families(xrays, seed=0):
        got = outcome(predictor.predict_batch([data for _, data in family.items]))
        cells = [family.name, family.in_fitted_set, got["n"], share(got["refused"], got["n"]),
                 f"{got['labelled'] / got['n']:.1%}", f"{got['uncertain'] / got['n']:.1%}",
                 got["reasons"], got["labels"]]
        if family.negative:
            rows.append(cells)
            summary.append((family, got["refused"], got["n"]))
        else:
            orientation_rows.append([*cells[:4], f"{got['corrected'] / got['n']:.1%}", *cells[4:6], cells[7]])

    xray_rows = []
    total, total_refused = 0, 0
    for source, group in test.groupby("source"):
        sample = group.sample(min(len(group), XRAYS_PER_SOURCE), random_state=0)
        got = outcome(predictor.predict_batch([CXR_DIR / p for p in sample["path"]]))
        total += got["n"]
        total_refused += got["refused"]
        xray_rows.append([source, got["n"], share(got["refused"], got["n"]), f"{got['labelled'] / got['n']:.1%}",
                          got["reasons"]])
    xray_rows.append(["all", total, share(total_refused, total), "", ""])

    held_out = [(f, k, n) for f, k, n in summary if f.in_fitted_set == "no"]
    passing = [f.name for f, k, n in held_out if k / n >= TARGET_REFUSED]
    failing = [f"{f.name} ({k / n:.1%})" for f, k, n in held_out if k / n < TARGET_REFUSED]
    # Whether a family's size can show the target at all: the interval's lower end must reach it.
    shown = [f.name for f, k, n in held_out if wilson_interval(k, n)[0] >= TARGET_REFUSED]
    pooled_k, pooled_n = sum(k for _, k, _ in held_out), sum(n for _, _, n in held_out)
    lines = [
        f"Served model: {predictor.model_dir.relative_to(REPO) if predictor.model_dir.is_relative_to(REPO) else predictor.model_dir} "
        f"v{predictor.version}. Refused = `rejected`; labelled = a label given; uncertain = read, no "
        "label. [95% Wilson interval]. `in set`: yes = the negative set's own base images, kind = "
        "its kind with new pictures, no = held out by construction. Labels: given, or (top class) "
        "when uncertain.", "",
        table(["family", "in set", "n", "refused", "labelled", "uncertain", "refusal reasons",
               "labels when not refused"], rows, "llrrrrll"),
        "",
        f"Held-out families refused >= {TARGET_REFUSED:.0%}: {', '.join(passing) or 'none'}. "
        f"Below: {', '.join(failing) or 'none'}. Pooled over the held-out families: "
        f"{share(pooled_k, pooled_n)} of {pooled_n}. Families whose 95% interval lies wholly above "
        f"{TARGET_REFUSED:.0%}: {', '.join(shown) or 'none'}.",
        "",
        "Rotated and inverted X-rays (not negatives: corrected = turned back with a warning, then read):",
        "",
        table(["family", "in set", "n", "refused", "corrected", "labelled", "uncertain",
               "labels when not refused"], orientation_rows, "llrrrrrl"),
        "",
        f"Real X-rays of held-out patients (the whole test subset of the patient split; target <= {TARGET_FALSE_REFUSED:.0%} refused):",
        "",
        table(["source", "n", "refused", "labelled", "refusal reasons"], xray_rows, "lrrrl"),
        "",
        f"({time.time() - start:.0f} s)",
    ]
    output = "\n".join(lines)
    print(output)
    command = " ".join(["python -m studies.guard_families.study", *(argv if argv is not None else sys.argv[1:])])
    write_output(PAGE, command, output, "Harder negatives, family by family")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
