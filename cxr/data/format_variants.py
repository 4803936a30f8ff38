"""One X-ray's 8-bit grey pixels written in each format the app reads, as a phone, a PACS or a
modality would export them: 8- and 16-bit PNG, JPEG at quality 95 in grey and in colour, DICOM
in 8, 12 and 16 bits, MONOCHROME1, rescale slope/intercept, with and without a window,
uncompressed and JPEG Lossless (VARIANTS, by name).

For the decoder's tests (tests/inference/test_format_consistency.py: a lossless variant must
decode to the PNG's exact pixels) and studies/format_consistency/study.py (how far the served
model's readings move between them). Nothing in the app imports this module (as
dicom_codecs.py, whose encoder it uses); the DICOM variants need pydicom and python-gdcm, both
runtime dependencies.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.inference import decode_image

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


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


def gray_of(path: Path) -> np.ndarray:
    """The file's 8-bit grey pixels, as the app reads them: the reference every variant encodes.

    An odd number of 8-bit pixels is cut to an even one (the last column dropped): GDCM's JPEG
    Lossless encoder refuses the padded pixel data of such a DICOM, and detectors never make one."""
    gray = decode_image(path).gray
    return gray[:, :-1] if gray.size % 2 else gray
