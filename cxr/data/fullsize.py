"""Full-size X-ray files made from real ones, for the tests and the benchmarks.

Real chest radiographs are 2,000-3,000 px and often 12-16 bits; the shared set holds 224-512 px
8-bit copies. Each real X-ray is scaled up (bicubic, aspect kept) with mild Gaussian noise (a
detector's, so the files compress like real ones rather than like a smooth upscale) and made
into one of KINDS:

- `png8`: 2,000 px on the long side, 8-bit PNG (Pillow's default compression, as a PACS export);
- `png16`: 2,000 px, 16-bit PNG holding 12-bit values (a detector's range in a 16-bit container);
- `dicom`: 3,000 px, uncompressed DICOM (DX, 12 bits stored in 16, MONOCHROME2, a window);
- `dicom-jpegll`: the same DICOM as JPEG Lossless SV1 (encoded with GDCM), what CR/DX systems send;
- `dicom-64mib` (not in KINDS): one uncompressed DICOM of 5,760 x 5,824 (63.98 MiB, just under
  the 64 MiB upload limit), for the memory ceiling.

The same source gives the same bytes on every run (fixed seeds): tests/inference's recorded
readings depend on it. bench/fullsize.py writes them into a folder for the benchmarks; the tests
make their own. Nothing in the app imports this module (as dicom_codecs.py, whose encoder it
uses); it needs pydicom and python-gdcm, both runtime dependencies, only for the DICOM kinds.
"""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

KINDS = ("png8", "png16", "dicom", "dicom-jpegll")
PNG_SIDE, DICOM_SIDE = 2000, 3000
BIG_SIZE = (5760, 5824)  # (columns, rows): 2 bytes a pixel, 63.98 MiB with the header
NOISE_8BIT = 1.5  # grey levels (of 255) of detector noise
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.70"
VERSION = 1  # bump when the recipe changes: a cached folder of another version is rebuilt


def source_images(cxr_dir: Path, per_class: int = 2) -> list[Path]:
    """The first few real X-ray PNGs of each class in `cxr_dir`/images/<class>/ (the shared set,
    ../shared/data/cxr): the same files on every run."""
    images = []
    for label in ("covid", "pneumonia", "normal"):
        images += sorted((Path(cxr_dir) / "images" / label).glob("*.png"))[:per_class]
    if not images:
        raise FileNotFoundError(f"no X-rays found under {Path(cxr_dir) / 'images'}")
    return images


def _scaled(path: Path, long_side: int | None = None, size: tuple[int, int] | None = None,
            full_scale: float = 255.0) -> np.ndarray:
    """The X-ray scaled to `long_side` (aspect kept) or `size` (w, h), values 0..full_scale
    with noise of NOISE_8BIT grey levels, float32. Seeded by the file name."""
    gray = Image.open(path).convert("L")
    if size is None:
        scale = long_side / max(gray.size)
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
    up = np.array(gray.convert("F").resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    up *= full_scale / 255.0
    up += rng.normal(0.0, NOISE_8BIT * full_scale / 255.0, up.shape).astype(np.float32)
    return np.clip(up, 0.0, full_scale)


def make_png8(path: Path, side: int = PNG_SIDE) -> bytes:
    img = Image.fromarray(_scaled(path, side).round().astype(np.uint8))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def make_png16(path: Path, side: int = PNG_SIDE) -> bytes:
    values = _scaled(path, side, full_scale=4095.0).round().astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")  # mode I;16: a 16-bit PNG
    return buffer.getvalue()


def make_dicom(path: Path, side: int = DICOM_SIDE, size: tuple[int, int] | None = None,
               syntax: str | None = None) -> bytes:
    """A DX DICOM (12 bits stored in 16, MONOCHROME2, a window over the whole range),
    uncompressed or re-encoded by GDCM in `syntax`."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    values = _scaled(path, side, size, full_scale=4095.0).round().astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[path.name, str(values.shape)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("bench.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.ViewPosition, ds.BodyPartExamined = "DX", "PA", "CHEST"
    ds.Rows, ds.Columns = values.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelData = values.tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    if syntax is None:
        return buffer.getvalue()
    from cxr.data.dicom_codecs import compress_dicom

    return compress_dicom(buffer.getvalue(), syntax)


def make(kind: str, path: Path) -> bytes:
    """One full-size input of `kind` (see KINDS, or "dicom-64mib") made from the X-ray `path`."""
    if kind == "png8":
        return make_png8(path)
    if kind == "png16":
        return make_png16(path)
    if kind == "dicom":
        return make_dicom(path)
    if kind == "dicom-jpegll":
        return make_dicom(path, syntax=JPEG_LOSSLESS)
    if kind == "dicom-64mib":
        return make_dicom(path, size=BIG_SIZE)
    raise ValueError(f"unknown kind {kind!r}")
