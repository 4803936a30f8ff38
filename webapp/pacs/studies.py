"""DICOM studies made from real X-ray images, as a radiography system would send them to a PACS.

For tests, the benchmark and the demo (docs/pacs.md): `xray_instance` wraps an 8-bit grey image
(a PNG or JPEG from ../shared/data/cxr) in a Digital X-Ray (DX, "for presentation") instance with
the study, series and view facts a PACS query sees. Nothing here invents pixels: the image is
the real one. The files are never stored in the repository.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation


def xray_instance(image: Path | str, *, study_uid: str | None = None, view_position: str = "PA",
                  body_part: str = "CHEST", patient_id: str = "CXR-TEST-1",
                  accession: str = "", series_number: int = 1, instance_number: int = 1,
                  study_date: str = "", study_time: str = "120000") -> FileDataset:
    """One DX instance holding the real image at `image` (8-bit grey, stored as 12-bit), dated
    today unless `study_date` (YYYYMMDD) says otherwise."""
    from PIL import Image

    with Image.open(image) as img:
        gray = np.asarray(img.convert("L"), dtype=np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_PRESENTATION
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("xray.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = DX_PRESENTATION, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID, ds.PatientName = patient_id, "Test^Patient"
    ds.PatientBirthDate, ds.PatientSex = "", "O"
    ds.StudyDate, ds.StudyTime, ds.StudyID = study_date or f"{date.today():%Y%m%d}", study_time, "1"
    ds.AccessionNumber = accession
    ds.ReferringPhysicianName = ""
    ds.Modality, ds.Manufacturer = "DX", "Test X-ray system"
    ds.SeriesNumber, ds.InstanceNumber = series_number, instance_number
    ds.BodyPartExamined, ds.ViewPosition = body_part, view_position
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PatientOrientation = ["L", "F"] if view_position == "AP" else ["R", "F"]
    ds.Rows, ds.Columns = gray.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelData = (gray * 16).tobytes()
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
