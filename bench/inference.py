"""Inference speed: onnxruntime (what the app serves) against the same architecture in PyTorch
eager.

    python bench/inference.py [--model models/bundled] [--checkpoint runs/<name>/best.pt]

Run from the repository root with the project's virtualenv (the package is installed editable).
Measures, in one run on the same machine and thread count:
- batch-1 latency (p50/p95) and batch-16 throughput of the model alone (logits + features + CAM
  for both engines), with the ratio onnxruntime / PyTorch;
- one image end to end through `Predictor.predict` (decode, preprocess, infer, OOD, heat map)
  and the overlay PNG the web page shows;
- full-size inputs made from real X-rays by bench/fullsize.py (2,000 px 8- and 16-bit PNG,
  3,000 px DICOM uncompressed and JPEG Lossless, a 64 MiB DICOM) next to the small real X-rays:
  `Predictor.predict` and its decoding alone, each kind in a fresh process whose peak resident
  memory (VmHWM: the model loaded, then the readings) is reported. `--no-full-size` skips this.

The PyTorch column needs no training run: it builds the served model's architecture with
`cxr.training.models.build_model` and untrained weights (latency does not depend on the weights'
values), so it is for timing only. `--checkpoint` loads a run's trained weights instead. Without
torch (the [train] extra) that column is skipped with the reason. Prints Markdown tables.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cxr.evaluation import markdown

REPO_DIR = Path(__file__).resolve().parent.parent
UNTRAINED = "PyTorch eager, same architecture, untrained weights: timing only"
INPUTS = REPO_DIR / "var" / "bench-inputs"
FULL_SIZE = {
    "small": "small real X-rays (224-512 px, 8-bit PNG)",
    "png8": "2,000 px 8-bit PNG",
    "png16": "2,000 px 16-bit PNG (12-bit values)",
    "dicom": "3,000 px DICOM, uncompressed",
    "dicom-jpegll": "3,000 px DICOM, JPEG Lossless",
    "dicom-64mib": "5,760 x 5,824 DICOM, uncompressed (64 MiB)",
}


def timings(fn, repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def real_xrays(n: int) -> list[Path]:
    shared = Path(os.environ.get("CXR_SHARED_DATA", REPO_DIR.parent / "shared" / "data")) / "cxr" / "images"
    paths = sorted(shared.glob("*/*.png"))[:: max(1, len(list(shared.glob("*/*.png"))) // n)][:n]
    if not paths:
        sys.exit(f"no X-rays found under {shared}")
    return paths


def full_size_files(small: list[Path]) -> dict[str, list[Path]]:
    """{kind: files}: the small real X-rays given, and bench/fullsize.py's full-size copies
    (run as a script: bench modules do not import each other) in var/bench-inputs."""
    subprocess.run([sys.executable, str(REPO_DIR / "bench" / "fullsize.py"), "--out", str(INPUTS), "--big"],
                   check=True, stdout=subprocess.DEVNULL)
    index = json.loads((INPUTS / "inputs.json").read_text())["files"]
    return {"small": small, **{kind: [Path(p) for p in index[kind]] for kind in FULL_SIZE if kind != "small"}}


def measure_kind(model: Path, threads: int, files: list[Path], repeats: int) -> dict:
    """In this (fresh) process: Predictor.predict and decoding alone on `files`, and the peak
    resident memory with the model loaded and the readings made."""
    from cxr.inference import Predictor

    predictor = Predictor.load(model, threads=threads)
    predict: list[float] = []
    decode = []
    predictor.predict(files[0].read_bytes())
    for i in range(repeats):
        data = files[i % len(files)].read_bytes()  # one file in memory at a time, as in a worker
        start = time.perf_counter()
        predictor.decode(data)
        decode.append(time.perf_counter() - start)
        start = time.perf_counter()
        predictor.predict(data)
        predict.append(time.perf_counter() - start)
    peak_kib = int(re.search(r"^VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))
    return {"predict": predict, "decode": decode, "mib": [p.stat().st_size / 2**20 for p in files],
            "peak_mb": peak_kib * 1024 / 1e6}


def full_size_rows(model: Path, threads: int, files: dict[str, list[Path]], repeats: int) -> list[tuple]:
    results = {}
    for kind, paths in files.items():
        n = 3 if kind == "dicom-64mib" else repeats
        out = subprocess.run([sys.executable, __file__, "--measure-kind", json.dumps(
            {"model": str(model), "threads": threads, "files": [str(p) for p in paths], "repeats": n})],
            check=True, capture_output=True, text=True)
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    small_p50 = np.percentile(results["small"]["predict"], 50)
    rows = []
    for kind, r in results.items():
        p50 = np.percentile(r["predict"], 50)
        rows.append((FULL_SIZE[kind], f"{min(r['mib']):.1f}-{max(r['mib']):.1f}", f"{p50 * 1e3:.0f}",
                     f"{np.percentile(r['predict'], 95) * 1e3:.0f}", f"{p50 / small_p50:.1f}x",
                     f"{np.percentile(r['decode'], 50) * 1e3:.0f}", f"{r['peak_mb']:.0f}"))
    return rows


def torch_wrapper(card: dict, checkpoint: Path | None, threads: int):
    """(the PyTorch model with the ONNX graph's three outputs, its column label), or
    (None, why the PyTorch column is skipped)."""
    try:
        import torch

        from cxr.export.bundle import CamExportWrapper
        from cxr.training.models import build_model
    except ImportError as exc:
        return None, f"skipped, torch cannot be imported ({exc}): install the [train] extra"
    torch.set_num_threads(threads)
    if checkpoint is not None:
        from cxr.training.loop import load_checkpoint

        if not checkpoint.is_file():
            sys.exit(f"checkpoint {checkpoint} not found")
        model, _ = load_checkpoint(checkpoint)
        label = f"PyTorch eager, trained weights of {checkpoint}"
    else:
        model = build_model(card["architecture"]["name"], len(card["classes"]), pretrained="none")
        label = UNTRAINED
    return CamExportWrapper(model).eval(), label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO_DIR / "models" / "bundled")
    parser.add_argument("--checkpoint", type=Path,
                        help="time a run's trained weights in PyTorch (default: the same architecture, "
                             "untrained: latency does not depend on the weights' values)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both engines (default 2)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--images", type=int, default=16, help="real X-rays for the end-to-end timing")
    parser.add_argument("--no-full-size", action="store_true", help="skip the full-size inputs")
    parser.add_argument("--measure-kind", help=argparse.SUPPRESS)  # internal: one kind, in a fresh process
    args = parser.parse_args()
    if args.measure_kind:
        job = json.loads(args.measure_kind)
        print(json.dumps(measure_kind(Path(job["model"]), job["threads"], [Path(p) for p in job["files"]],
                                      job["repeats"])))
        return 0

    from cxr.inference import Predictor
    from cxr.preprocess import prepare_gray, to_tensor_layout

    card = json.loads((args.model / "model_card.json").read_text())
    predictor = Predictor.load(args.model, threads=args.threads)
    wrapper, torch_label = torch_wrapper(card, args.checkpoint, args.threads)

    paths = real_xrays(max(args.images, 16))
    size, contrast = predictor.input_size, predictor.contrast
    prepared = np.stack([prepare_gray(predictor.decode(p).gray, size, contrast) for p in paths[:16]])
    x16 = to_tensor_layout(prepared)
    x1 = x16[:1]

    def run_onnx(x):
        return predictor.session.run(["logits", "features", "cam"], {"input": x})

    def run_torch(x):
        import torch

        with torch.inference_mode():
            return wrapper(torch.from_numpy(x))

    batch_repeats = max(3, args.repeats // 6)
    onnx1, onnx16 = timings(lambda: run_onnx(x1), args.repeats), timings(lambda: run_onnx(x16), batch_repeats)
    torch1 = torch16 = None
    if wrapper is not None:
        torch1, torch16 = timings(lambda: run_torch(x1), args.repeats), timings(lambda: run_torch(x16), batch_repeats)
    rows = []
    for q in (50, 95):
        ort_ms = np.percentile(onnx1, q) * 1e3
        pt_ms = np.percentile(torch1, q) * 1e3 if torch1 else None
        rows.append((f"batch 1 latency p{q} (ms)", ort_ms, pt_ms, pt_ms / ort_ms if pt_ms else None))
    ort_tp = 16 / statistics.median(onnx16)
    pt_tp = 16 / statistics.median(torch16) if torch16 else None
    rows.append(("batch 16 throughput (images/s)", ort_tp, pt_tp, ort_tp / pt_tp if pt_tp else None))

    e2e = []
    overlay = []
    for path in paths[: args.images]:
        data = path.read_bytes()
        start = time.perf_counter()
        reading = predictor.predict(data)
        e2e.append(time.perf_counter() - start)
        start = time.perf_counter()
        reading.overlay_png()
        overlay.append(time.perf_counter() - start)

    torch_version = f"torch {__import__('torch').__version__}" if wrapper is not None else "no torch"
    print(f"model {args.model} ({card.get('architecture', {}).get('name')}, {size} px), "
          f"{args.threads} threads, {torch_version}, "
          f"onnxruntime {__import__('onnxruntime').__version__}, {os.cpu_count()} CPUs\n")
    print(f"PyTorch column: {torch_label}\n")
    torch_header = torch_label if wrapper is not None else "PyTorch eager (skipped)"
    print(markdown.table(
        ("measure", "onnxruntime", torch_header, "ratio (ORT advantage)"),
        [(name, f"{ort_value:.1f}", f"{pt_value:.1f}" if pt_value is not None else "skipped",
          f"{ratio:.2f}x" if ratio is not None else "-")
         for name, ort_value, pt_value, ratio in rows],
        "lrrr"))
    print()
    print(markdown.table(
        (f"end to end, one image ({len(e2e)} real X-rays)", "p50 (ms)", "p95 (ms)"),
        [("decode + preprocess + infer + OOD + heat map (`Predictor.predict`)",
          f"{np.percentile(e2e, 50) * 1e3:.1f}", f"{np.percentile(e2e, 95) * 1e3:.1f}"),
         ("overlay PNG (`Prediction.overlay_png`)",
          f"{np.percentile(overlay, 50) * 1e3:.1f}", f"{np.percentile(overlay, 95) * 1e3:.1f}")],
        "lrr"))

    if args.no_full_size:
        return 0
    small = [p for label in ("covid", "pneumonia", "normal")
             for p in sorted((paths[0].parent.parent / label).glob("*.png"))[:2]]
    print()
    print(markdown.table(
        ("input (Predictor.predict, a fresh process per kind)", "MiB", "p50 (ms)", "p95 (ms)",
         "p50 vs. small", "decoding alone p50 (ms)", "peak MB of the process"),
        full_size_rows(args.model, args.threads, full_size_files(small), max(6, args.repeats // 2)), "lrrrrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
