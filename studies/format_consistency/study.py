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

Imports only cxr, numpy, pydicom and Pillow; the variant builders are reused by
tests/inference/test_format_consistency.py.
"""
from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.evaluation.markdown import table, write_output
from cxr.inference import Predictor, decode_image

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "results" / "format_consistency.md"
CXR_DIR = REPO.parent / "shared" / "data" / "cxr"
LIMIT = 0.02
DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


# --- how each format is written -------------------------------------------------------------

def png(gray: np.ndarray) -> bytes:
    return _pillow(Image.fromarray(gray, "L"), "PNG")


def png16(gray: np.ndarray) -> bytes:
    """A 16-bit grey PNG of the same picture: each 8-bit value v stored as v * 257 (0..65535)."""
    return _pillow(Image.fromarray(gray.astype(np.uint16) * 257), "PNG")


def jpeg_gray(gray: np.ndarray) -> bytes:
    return _pillow(Image.fromarray(gray, "L"), "JPEG", quality=95)


def jpeg_rgb(gray: np.ndarray) -> bytes:
    """What a phone or a web export gives: a colour JPEG (YCbCr, 4:2:0) of a grey picture."""
    return _pillow(Image.fromarray(gray, "L").convert("RGB"), "JPEG", quality=95)


def _pillow(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def to_12_bits(gray: np.ndarray) -> np.ndarray:
    """8-bit values spread over 12 bits (0..4095), as a detector's range would be."""
    return np.round(gray.astype(np.float64) * (4095 / 255)).astype(np.uint16)


def dicom(stored: np.ndarray, bits: int, photometric: str = "MONOCHROME2",
          window: tuple[float, float] | None = None, rescale: tuple[float, float] | None = None,
          syntax: str | None = None) -> bytes:
    """A DX DICOM file as a modality exports it: `stored` (uint8 or uint16) as the stored values
    with `bits` bits stored, optional window centre/width and rescale slope/intercept; encoded
    in `syntax` (a transfer syntax UID, with GDCM) when given, else uncompressed."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("study.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = DX_STORAGE, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID, ds.ViewPosition, ds.BodyPartExamined = "DX", "STUDY", "PA", "CHEST"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    allocated = 8 if bits <= 8 else 16
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = allocated, bits, bits - 1, 0
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = rescale[0], rescale[1], "US"
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = np.ascontiguousarray(stored, dtype=np.uint8 if allocated == 8 else np.uint16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    if syntax is not None:
        from cxr.data.dicom_codecs import compress_dicom

        data = compress_dicom(data, syntax)
    return data


def _full_window(lo: float, hi: float) -> tuple[float, float]:
    """Window centre/width covering lo..hi, as modalities write it (C = (lo+hi+1)/2, W = hi-lo+1)."""
    return (lo + hi + 1) / 2, hi - lo + 1


def dicom8(gray, syntax=None):
    return dicom(gray, 8, syntax=syntax)


def dicom12_window(gray, syntax=None):
    return dicom(to_12_bits(gray), 12, window=_full_window(0, 4095), syntax=syntax)


def dicom12_no_window(gray):
    return dicom(to_12_bits(gray), 12)


def dicom12_monochrome1(gray, syntax=None):
    return dicom(4095 - to_12_bits(gray), 12, "MONOCHROME1", window=_full_window(0, 4095), syntax=syntax)


def dicom12_rescale(gray):
    """Stored 0..4095, modality values = 0.5 * stored - 1024 (the window is in modality values)."""
    slope, intercept = 0.5, -1024.0
    return dicom(to_12_bits(gray), 12, window=_full_window(intercept, 4095 * slope + intercept),
                 rescale=(slope, intercept))


def dicom16_window(gray):
    return dicom(gray.astype(np.uint16) * 257, 16, window=_full_window(0, 65535))


def dicom16_no_window(gray):
    return dicom(gray.astype(np.uint16) * 257, 16)


def dicom16_monochrome1_no_window(gray):
    return dicom(65535 - gray.astype(np.uint16) * 257, 16, "MONOCHROME1")


VARIANTS: dict[str, Callable[[np.ndarray], bytes]] = {
    "PNG 16-bit": png16,
    "JPEG q95 grey": jpeg_gray,
    "JPEG q95 colour": jpeg_rgb,
    "DICOM 8-bit": dicom8,
    "DICOM 8-bit, JPEG Lossless": lambda g: dicom8(g, JPEG_LOSSLESS_SV1),
    "DICOM 12-bit, full window": dicom12_window,
    "DICOM 12-bit, full window, JPEG Lossless": lambda g: dicom12_window(g, JPEG_LOSSLESS_SV1),
    "DICOM 12-bit, no window": dicom12_no_window,
    "DICOM 12-bit MONOCHROME1, full window": dicom12_monochrome1,
    "DICOM 12-bit MONOCHROME1, JPEG Lossless": lambda g: dicom12_monochrome1(g, JPEG_LOSSLESS_SV1),
    "DICOM 12-bit, rescale 0.5/-1024, window": dicom12_rescale,
    "DICOM 16-bit, full window": dicom16_window,
    "DICOM 16-bit, no window": dicom16_no_window,
    "DICOM 16-bit MONOCHROME1, no window": dicom16_monochrome1_no_window,
}


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


def gray_of(path: Path) -> np.ndarray:
    """The file's 8-bit grey pixels, as the app reads them: the reference every variant encodes.

    An odd number of 8-bit pixels is cut to an even one (the last column dropped): GDCM's JPEG
    Lossless encoder refuses the padded pixel data of such a DICOM, and detectors never make one."""
    gray = decode_image(path).gray
    return gray[:, :-1] if gray.size % 2 else gray


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
