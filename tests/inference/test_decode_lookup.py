"""The fast paths of cxr.inference.decode give exactly the pixels of the per-pixel arithmetic
and of pydicom's pixel array they replace, for every display rule a DICOM or a 16-bit image can
carry.

Large integer images (from 2^18 pixels) are mapped to 8 bits through a table of every value
their dtype can hold, and a large uncompressed DICOM's pixels are read straight from the file
as raw bit patterns (issue 21: no float64 copies, and no second and third copy, of a 64 MiB
DICOM). Each case below is decoded with the fast paths forced on and forced off (and mixed), and
the results must be identical: bit depths, signed data, values outside the declared bits (which
pydicom masks or sign-extends), rescale slope/intercept, modality and VOI LUT sequences, every
VOI LUT function, invalid windows, MONOCHROME1, and 16-bit PNG and TIFF.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cxr.inference import decode
from cxr.inference.decode import decode_image

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

SHAPE = (48, 40)


def both_ways(data: bytes, monkeypatch) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Decode `data` the fast way (lookup tables for any size; a DICOM's uncompressed pixels read
    straight from the file, its pixel data deferred from 64 bytes) and the plain way (per pixel,
    pydicom's pixel array), and check the mixed ways agree too."""
    def decoded(tables: bool, native: bool):
        with monkeypatch.context() as m:
            m.setattr(decode, "_LUT_MIN_PIXELS", 0 if tables else 1 << 62)
            m.setattr(decode, "_DEFER_BYTES", 64 if native else 1 << 40)
            if not native:
                m.setattr(decode, "_native_first_frame", lambda ds, data: None)
            return decode_image(data)

    fast, plain = decoded(True, True), decoded(False, False)
    for mixed in (decoded(True, False), decoded(False, True)):
        np.testing.assert_array_equal(mixed.gray, plain.gray)
    return fast.gray, plain.gray, fast.warnings, plain.warnings


def dicom(stored: np.ndarray, bits: int, signed: bool, photometric: str, **tags) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("t.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = stored.shape
    allocated = 8 if stored.dtype.itemsize == 1 else 16
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = allocated, bits, bits - 1
    ds.PixelRepresentation = int(signed)
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.PixelData = stored.tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def lut_item(entries: int, first: int, depth: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    item = Dataset()
    item.LUTDescriptor = [entries, first, depth]
    item.LUTData = rng.integers(0, 2**depth, entries, dtype=np.uint16).tobytes()
    item["LUTData"].VR = "OW"
    return item


@st.composite
def dicom_cases(draw):
    allocated = draw(st.sampled_from([8, 16]))
    bits = draw(st.sampled_from([b for b in (8, 10, 12, 14, 16) if b <= allocated]))
    signed = draw(st.booleans())
    dtype = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}[
        (allocated, signed)]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if draw(st.booleans()):  # now and then values beyond the declared bits, as damaged files hold
        low, high = info.min, info.max
    if draw(st.booleans()):  # or a narrow band of values, as a flat exposure gives
        high = min(high, low + int(rng.integers(0, 40)))
    stored = rng.integers(low, high + 1, SHAPE, dtype=np.int64).astype(dtype)
    tags = {}
    rescale = draw(st.sampled_from(["none", "identity", "slope", "modality-lut"]))
    if rescale == "identity":
        tags.update(RescaleSlope=1, RescaleIntercept=0)
    elif rescale == "slope":
        tags.update(RescaleSlope=draw(st.sampled_from([0.5, 2, 1.25, -1])),
                    RescaleIntercept=draw(st.sampled_from([-1024, 0, 17.5])))
    elif rescale == "modality-lut":
        tags["ModalityLUTSequence"] = Sequence([lut_item(
            draw(st.sampled_from([256, 4096])), draw(st.sampled_from([0, 50])), 16, seed + 1)])
    display = draw(st.sampled_from(["none", "window", "bad-window", "voi-lut"]))
    if display in ("window", "bad-window"):
        tags["WindowCenter"] = draw(st.sampled_from([0, 40.5, 2048, -500]))
        tags["WindowWidth"] = 0.5 if display == "bad-window" else draw(st.sampled_from([1, 80, 4096, 1e5]))
        function = draw(st.sampled_from([None, "LINEAR", "LINEAR_EXACT", "SIGMOID"]))
        if function:
            tags["VOILUTFunction"] = function
    elif display == "voi-lut":
        tags["VOILUTSequence"] = Sequence([lut_item(
            draw(st.sampled_from([256, 1024])), draw(st.sampled_from([0, 100])),
            draw(st.sampled_from([8, 12, 16])), seed + 2)])
    photometric = draw(st.sampled_from(["MONOCHROME1", "MONOCHROME2"]))
    return dicom(stored, bits, signed, photometric, **tags)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=dicom_cases())
def test_dicom_tables_give_the_pixels_of_the_per_pixel_path(data, monkeypatch):
    table, direct, table_warnings, direct_warnings = both_ways(data, monkeypatch)
    assert table.dtype == direct.dtype == np.uint8
    np.testing.assert_array_equal(table, direct)
    assert [w.code for w in table_warnings] == [w.code for w in direct_warnings]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), peak_bits=st.integers(1, 16), fmt=st.sampled_from(["PNG", "TIFF"]))
def test_16_bit_png_and_tiff_tables_give_the_pixels_of_the_per_pixel_path(seed, peak_bits, fmt, monkeypatch):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**peak_bits, SHAPE, dtype=np.int64).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format=fmt)
    table, direct, *_ = both_ways(buffer.getvalue(), monkeypatch)
    np.testing.assert_array_equal(table, direct)


def test_a_full_size_dicom_goes_through_the_table_and_the_file(monkeypatch):
    """Above the size limits the table is used and the pixels are read from the file (no pixel
    array from pydicom), and the result is the per-pixel one."""
    tables, natives = [], []
    real_domain, real_native = decode._lut_domain, decode._native_first_frame
    monkeypatch.setattr(decode, "_lut_domain", lambda image: tables.append(image.shape) or real_domain(image))
    monkeypatch.setattr(decode, "_native_first_frame",
                        lambda ds, data: natives.append(1) or real_native(ds, data))
    rng = np.random.default_rng(0)
    values = rng.integers(0, 4096, (800, 700), dtype=np.uint16)  # 1.1 MB of pixels: deferred
    data = dicom(values, 12, False, "MONOCHROME2", WindowCenter=2048, WindowWidth=4096)
    gray = decode_image(data).gray
    assert tables == [(800, 700)] and natives == [1]
    assert real_native(pydicom.dcmread(io.BytesIO(data), defer_size=decode._DEFER_BYTES), data) is not None
    with monkeypatch.context() as m:
        m.setattr(decode, "_LUT_MIN_PIXELS", 1 << 62)
        m.setattr(decode, "_native_first_frame", lambda ds, data: None)
        np.testing.assert_array_equal(gray, decode_image(data).gray)
