"""Same X-ray, same answer: does the served model read one image alike as PNG, JPEG and DICOM?

    python -m studies.format_consistency.study [--per-source N]

Issue 15, item 6: one X-ray uploaded as PNG and as DICOM was once "Uncertain" and once "No
findings". For real X-rays of every source in ../shared/data/cxr this study writes each image's
8-bit grey pixels in the ways a phone, a PACS or a modality would export them (8-bit and 16-bit
PNG, JPEG at quality 95 in grey and in colour, DICOM in 8, 12 and 16 bits, MONOCHROME1, rescale
slope/intercept, with and without a window, uncompressed and JPEG Lossless), reads each through
`cxr.inference.Predictor` (the bundled model) and reports, per variant, how far its class
probabilities move from the PNG's: the largest |p_variant - p_png| over classes, as the median,
95th percentile and maximum over images, and how many images move more than 0.02 (the issue's
limit). A second table says how many decoded pixels differ from the PNG's before the model.

Imports only cxr and numpy; the variants are written by
cxr/data/format_variants.py, which tests/inference/test_format_consistency.py reads too.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from cxr.data.format_variants import VARIANTS, gray_of, png
from cxr.evaluation.markdown import table, write_output
from cxr.inference import Predictor, decode_image

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "format_consistency.md"
CXR_DIR = REPO.parent / "shared" / "data" / "cxr"
LIMIT = 0.02


# --- the sample and the measurement ----------------------------------------------------------

def sample(cxr_dir: Path, per_source: int) -> list[Path]:
    """`per_source` images of each source (prefix of the file name), labels in turn, fixed order."""
    with open(cxr_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    by_source: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        source = row["file"].split("/")[-1].split("__")[0]
        by_source.setdefault(source, {}).setdefault(row["label"], []).append(row["file"])
    picked = []
    for source in sorted(by_source):
        labels = by_source[source]
        order = [files[i * 37 % len(files)] for i in range(per_source) for files in labels.values()]
        picked += [cxr_dir / f for f in dict.fromkeys(order)][:per_source]
    return picked


def probabilities(predictor: Predictor, files: list[bytes]) -> np.ndarray:
    predictions = predictor.predict_batch(files)
    return np.array([[p.probabilities[c] for c in predictor.classes] for p in predictions])


def measure(predictor: Predictor, paths: list[Path]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per variant: the max |delta p| over classes of each image, and its decoded pixels' max
    |delta| against the PNG's (grey levels)."""
    grays = [gray_of(p) for p in paths]
    reference = probabilities(predictor, [png(g) for g in grays])
    deltas, pixel_deltas = {}, {}
    for name, make in VARIANTS.items():
        files = [make(g) for g in grays]
        deltas[name] = np.abs(probabilities(predictor, files) - reference).max(axis=1)
        pixel_deltas[name] = np.array([
            _pixel_delta(decode_image(data).gray, g) for data, g in zip(files, grays, strict=True)
        ])
    return deltas, pixel_deltas


def _pixel_delta(decoded: np.ndarray, reference: np.ndarray) -> int:
    if decoded.shape != reference.shape:
        return 255
    return int(np.abs(decoded.astype(np.int16) - reference).max())


def report(paths: list[Path], deltas: dict[str, np.ndarray], pixel_deltas: dict[str, np.ndarray]) -> str:
    rows = []
    for name, d in deltas.items():
        px = pixel_deltas[name]
        rows.append([name, f"{np.median(d):.4f}", f"{np.percentile(d, 95):.4f}", f"{d.max():.4f}",
                     f"{int((d > LIMIT).sum())}/{len(d)}", f"{int((px == 0).sum())}/{len(px)}", int(px.max())])
    sources = sorted({p.name.split("__")[0] for p in paths})
    head = (f"{len(paths)} real X-rays ({', '.join(sources)}), each against its own 8-bit PNG; "
            f"max |delta p| = largest change of a class probability.\n\n")
    return head + table(
        ["variant", "median max abs dp", "p95", "max", f"images > {LIMIT}", "pixels identical",
         "max pixel diff"],
        rows, "lrrrrrr")


def main(argv: list[str]) -> None:
    per_source = 8
    if argv[:1] == ["--per-source"]:
        per_source = int(argv[1])
    elif argv:
        raise SystemExit(__doc__)
    if not (CXR_DIR / "manifest.csv").is_file():
        raise SystemExit(f"the shared X-ray set is missing at {CXR_DIR}")
    paths = sample(CXR_DIR, per_source)
    predictor = Predictor.load()
    deltas, pixel_deltas = measure(predictor, paths)
    output = f"Model {predictor.version}.\n\n" + report(paths, deltas, pixel_deltas)
    print(output)
    command = " ".join(["python -m studies.format_consistency.study", *argv])
    write_output(PAGE, command, output, "Same X-ray, same answer: PNG, JPEG and DICOM")


if __name__ == "__main__":
    main(sys.argv[1:])
