"""Inference speed: onnxruntime (what the app serves) against the same weights in PyTorch eager.

    python bench/inference.py [--model models/bundled] [--checkpoint runs/<name>/best.pt]

Measures, in one run on the same machine and thread count:
- batch-1 latency (p50/p95) and batch-16 throughput of the model alone (logits + features + CAM
  for both engines), with the ratio onnxruntime / PyTorch;
- one image end to end through `Predictor.predict` (decode, preprocess, infer, OOD, heat map)
  and the overlay PNG the web page shows;
- the same for one full-size detector DICOM (3,328 x 4,096 pixels, 12 bits in 16, made from a
  real X-ray), uncompressed and JPEG Lossless, against the small real X-rays above.
The checkpoint defaults to the one recorded in the model card. Prints a Markdown table.
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

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))


def timings(fn, repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


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

    from tests.dicom_codecs import compress_dicom  # the tests' GDCM encoder; .4.70 = JPEG Lossless

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO_DIR / "models" / "bundled")
    parser.add_argument("--checkpoint", type=Path, help="default: the card's export.checkpoint")
    parser.add_argument("--threads", type=int, default=2, help="threads for both engines (default 2)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--images", type=int, default=16, help="real X-rays for the end-to-end timing")
    args = parser.parse_args()

    import torch

    from cxr.export.bundle import CamExportWrapper
    from cxr.inference import Predictor
    from cxr.preprocess import prepare_gray, to_tensor_layout
    from cxr.training.loop import load_checkpoint

    card = json.loads((args.model / "model_card.json").read_text())
    checkpoint = args.checkpoint or Path(card.get("export", {}).get("checkpoint", ""))
    if not checkpoint.is_file():
        sys.exit(f"checkpoint {checkpoint} not found: pass --checkpoint runs/<name>/best.pt")
    torch.set_num_threads(args.threads)
    predictor = Predictor.load(args.model, threads=args.threads)
    model, _ = load_checkpoint(checkpoint)
    wrapper = CamExportWrapper(model).eval()

    paths = real_xrays(max(args.images, 16))
    size, contrast = predictor.input_size, predictor.contrast
    prepared = np.stack([prepare_gray(predictor.decode(p).gray, size, contrast) for p in paths[:16]])
    x16 = to_tensor_layout(prepared)
    x1 = x16[:1]

    def run_onnx(x):
        return predictor.session.run(["logits", "features", "cam"], {"input": x})

    def run_torch(x):
        with torch.inference_mode():
            return wrapper(torch.from_numpy(x))

    rows = []
    onnx1, torch1 = timings(lambda: run_onnx(x1), args.repeats), timings(lambda: run_torch(x1), args.repeats)
    batch_repeats = max(3, args.repeats // 6)
    onnx16, torch16 = timings(lambda: run_onnx(x16), batch_repeats), timings(lambda: run_torch(x16), batch_repeats)
    for name, ort_t, pt_t in (("batch 1 latency p50 (ms)", percentile(onnx1, 50) * 1e3, percentile(torch1, 50) * 1e3),
                              ("batch 1 latency p95 (ms)", percentile(onnx1, 95) * 1e3, percentile(torch1, 95) * 1e3)):
        rows.append((name, ort_t, pt_t, pt_t / ort_t))
    ort_tp, pt_tp = 16 / statistics.median(onnx16), 16 / statistics.median(torch16)
    rows.append(("batch 16 throughput (images/s)", ort_tp, pt_tp, ort_tp / pt_tp))

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

    print(f"model {args.model} ({card.get('architecture', {}).get('name')}, {size} px), "
          f"checkpoint {checkpoint}, {args.threads} threads, torch {torch.__version__}, "
          f"onnxruntime {__import__('onnxruntime').__version__}, {os.cpu_count()} CPUs\n")
    print("| measure | onnxruntime | PyTorch eager | ratio (ORT advantage) |")
    print("| --- | ---: | ---: | ---: |")
    for name, ort_value, pt_value, ratio in rows:
        print(f"| {name} | {ort_value:.1f} | {pt_value:.1f} | {ratio:.2f}x |")
    print(f"\n| end to end, one image ({len(e2e)} real X-rays) | p50 (ms) | p95 (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| decode + preprocess + infer + OOD + heat map (`Predictor.predict`) | "
          f"{percentile(e2e, 50) * 1e3:.1f} | {percentile(e2e, 95) * 1e3:.1f} |")
    print(f"| overlay PNG (`Reading.overlay_png`) | {percentile(overlay, 50) * 1e3:.1f} | "
          f"{percentile(overlay, 95) * 1e3:.1f} |")

    small = percentile(e2e, 50)
    print("\n| end to end, one full-size detector DICOM (3,328 x 4,096) | MiB | p50 (ms) | "
          "ratio to the small X-rays' p50 |")
    print("| --- | ---: | ---: | ---: |")
    for name, data in detector_dicoms(paths[0]).items():
        p50 = percentile(timings(lambda data=data: predictor.predict(data), max(3, args.repeats // 6), 1), 50)
        print(f"| {name} | {len(data) / 2**20:.1f} | {p50 * 1e3:.0f} | {p50 / small:.0f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
