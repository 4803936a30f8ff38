"""Inference speed: onnxruntime (what the app serves) against the same architecture in PyTorch
eager.

    python bench/inference.py [--model models/bundled] [--checkpoint runs/<name>/best.pt]

Run from the repository root with the project's virtualenv (the package is installed editable).
Measures, in one run on the same machine and thread count:
- batch-1 latency (p50/p95) and batch-16 throughput of the model alone (logits + features + CAM
  for both engines), with the ratio onnxruntime / PyTorch;
- one image end to end through `Predictor.predict` (decode, preprocess, infer, OOD, heat map)
  and the overlay PNG the web page shows;
- the same for one full-size detector DICOM (3,328 x 4,096 pixels, 12 bits in 16, made from a
  real X-ray), uncompressed and JPEG Lossless, against the small real X-rays above.

The PyTorch column needs no training run: it builds the served model's architecture with
`cxr.training.models.build_model` and untrained weights (latency does not depend on the weights'
values), so it is for timing only. `--checkpoint` loads a run's trained weights instead. Without
torch (the [train] extra) that column is skipped with the reason. Prints Markdown tables.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from cxr.evaluation import markdown

REPO_DIR = Path(__file__).resolve().parent.parent
UNTRAINED = "PyTorch eager, same architecture, untrained weights: timing only"


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


def detector_dicoms(path: Path) -> dict[str, bytes]:
    """One real X-ray scaled to a flat-panel detector's size, as an uncompressed DICOM (26 MiB)
    and as JPEG Lossless (what CR/DX systems export), encoded with GDCM."""
    import io

    from PIL import Image
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from cxr.data.dicom_codecs import compress_dicom  # GDCM's encoder; .4.70 = JPEG Lossless

    gray = Image.open(path).convert("L").resize((3328, 4096), Image.Resampling.BILINEAR)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("bench.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.Rows, ds.Columns = "DX", 4096, 3328
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2040, 4080
    ds.PixelData = (np.asarray(gray, np.uint16) * 16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return {"uncompressed": buffer.getvalue(),
            "JPEG Lossless": compress_dicom(buffer.getvalue(), "1.2.840.10008.1.2.4.70")}


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
    args = parser.parse_args()

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

    small = np.percentile(e2e, 50)
    dicom_rows = []
    for name, data in detector_dicoms(paths[0]).items():
        p50 = np.percentile(timings(lambda data=data: predictor.predict(data), max(3, args.repeats // 6), 1), 50)
        dicom_rows.append((name, f"{len(data) / 2**20:.1f}", f"{p50 * 1e3:.0f}", f"{p50 / small:.0f}x"))
    print()
    print(markdown.table(
        ("end to end, one full-size detector DICOM (3,328 x 4,096)", "MiB", "p50 (ms)",
         "ratio to the small X-rays' p50"),
        dicom_rows, "lrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
