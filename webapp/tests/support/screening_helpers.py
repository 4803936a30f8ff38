"""Helpers shared by the screening, API and ownership tests (plain functions, no fixtures).

The tests need a real exported model: the `model_dir` fixture (the root conftest.py) finds it or
skips with a visible reason. Predictions are cached per image, so a test that only needs a
stored reading costs a few PNG encodes, not a model run.
"""
from __future__ import annotations

import base64
import functools
import io
import re
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


@functools.cache
def _predictor(model_dir: str):
    from cxr.inference import Predictor

    return Predictor.load(model_dir)


@functools.cache
def _predict(model_dir: str, image_path: str):
    return _predictor(model_dir).predict(Path(image_path).read_bytes())


def prediction_for(model_dir: Path, image_path: Path):
    """A cxr.inference.Prediction for a real image, computed once per test session."""
    return _predict(str(model_dir), str(image_path))


def store_reading(owner, model_dir: Path, image_path: Path, **changes):
    """A stored Reading (files on disk + row) for `owner`, from a cached prediction."""
    from webapp.screening import storage

    prediction = prediction_for(model_dir, image_path)
    if prediction.rejected:
        raise AssertionError(f"the model refused the test X-ray {image_path}: {prediction.reason}")
    reading = storage.create_reading(owner, prediction)
    if changes:
        for name, value in changes.items():
            setattr(reading, name, value)
        reading.save()
    return reading


def astronaut_jpeg() -> bytes:
    """A colour photograph of a person (not an X-ray), as JPEG bytes."""
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def jpeg_with_exif(image_path: Path) -> bytes:
    """A real X-ray re-saved as JPEG carrying EXIF tags (camera model, author)."""
    img = Image.open(image_path).convert("L")
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x013B] = "Dr Secret Author"  # Artist
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def dicom_with_patient(image_path: Path, patient_name: str = "Doe^Secret") -> bytes:
    """A real X-ray wrapped in a DICOM file whose header names a patient."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    pixels = np.asarray(Image.open(image_path).convert("L"), dtype=np.uint8)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("x.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = patient_name
    ds.PatientID = "SECRET-ID-4711"
    ds.Modality = "DX"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def pdf_all_text(pdf: bytes) -> str:
    """The PDF's bytes with every compressed stream decoded (ASCII85, Flate), as text to search:
    metadata and hidden objects included (for finding identifiers anywhere in the file)."""
    parts = [pdf]
    for header, stream in re.findall(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)\r?\n?endstream", pdf, flags=re.S):
        try:
            if b"ASCII85Decode" in header:
                stream = base64.a85decode(stream.strip().removeprefix(b"<~").removesuffix(b"~>"))
            if b"FlateDecode" in header:
                stream = zlib.decompress(stream)
        except (ValueError, zlib.error):
            continue
        parts.append(stream)
    return b"\n".join(parts).decode("latin-1")


def pdf_drawn_text(pdf: bytes) -> str:
    """The strings a reportlab PDF draws on its pages, in order (what a reader sees). Image
    streams are skipped: they draw no text, and decompressing a full-size X-ray's pixels to
    search them took most of a minute."""
    chunks = []
    for header, stream in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        if b"/Subtype /Image" in header:
            continue
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2].replace(b"\n", b"").replace(b"\r", b""))
        try:
            chunks.append(zlib.decompress(data).decode("latin-1"))
        except zlib.error:
            continue
    return " ".join(re.findall(r"\((.*?)(?<!\\)\) Tj", "\n".join(chunks)))


def write_site_calibration(model_dir: Path, path: Path, label_threshold: float | None, version: str | None = None,
                           cases: int = 120, set_threshold: float = 0.95, site: str = "Ward 3",
                           labelled_accuracy: float | None = 0.88) -> Path:
    """A site calibration file (cxr.inference.site_calibration) for the model in `model_dir`: its
    classes and version (or `version`), an identity rescaling, every class kept in a set while its
    probability is at least 1 - `set_threshold`, `cases` split evenly over the classes, fitted
    2026-12-01, and held-out-halves figures of 93% set coverage at 1.6 classes, 55% labelled,
    88% of labels right (`labelled_accuracy`; None: the halves labelled nothing, so not measured)."""
    from cxr.inference import ModelCard
    from cxr.inference.site_calibration import SiteCalibration

    card = ModelCard.load(model_dir)
    n = len(card.classes)
    return SiteCalibration(
        classes=list(card.classes), model_version=version or card.served_version, scale=[1.0] * n,
        bias=[0.0] * n, set_confidence=0.9, set_thresholds=[set_threshold] * n, label_threshold=label_threshold,
        target_accuracy=0.9, cases=cases, cases_by_class={c: cases // n for c in card.classes},
        fitted_at="2026-12-01", site=site,
        measured={"set_coverage": {"mean": 0.93}, "mean_set_size_seen": {"mean": 1.6},
                  "coverage": {"mean": 0.55}, "labelled_accuracy": {"mean": labelled_accuracy}},
    ).save(path)
