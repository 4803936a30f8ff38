"""DICOM decoding, on DICOM files built here with pydicom from a real X-ray of ../shared:
rescale slope/intercept, window centre/width, VOI LUT function, MONOCHROME1, 16-bit storage,
multi-frame, bare data sets without the file preamble, the compressed transfer syntaxes that
X-ray systems export (made with GDCM), and refusals."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxr.data.dicom_codecs import JPEG_EXTENDED_12BIT, LOSSLESS_SYNTAXES, compress_dicom
from cxr.inference import CorruptImage, ImageError, ImageTooLarge, UnsupportedFormat, decode_image

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import FileDataset, FileMetaDataset  # noqa: E402
from pydicom.filebase import DicomBytesIO  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid  # noqa: E402

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"


@pytest.fixture(scope="module")
def xray(xray_paths) -> np.ndarray:
    path = next(p for p in xray_paths["normal"] if p.suffix == ".png")
    return np.asarray(Image.open(path).convert("L"))


def make_dicom(pixels: np.ndarray, photometric: str = "MONOCHROME2", slope: float | None = None,
               intercept: float | None = None, window: tuple[float, float] | None = None,
               voi_function: str | None = None, modality: str = "DX", preamble: bool = True,
               **extra) -> bytes:
    """An uncompressed DICOM file with `pixels` (uint16 (H, W) or (F, H, W)) as stored values."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian if preamble else ImplicitVRLittleEndian
    ds = FileDataset("test.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = DX_STORAGE, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID = modality, "TEST"
    frames = pixels.shape[0] if pixels.ndim == 3 else 1
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if voi_function:
        ds.VOILUTFunction = voi_function
    for key, value in extra.items():
        setattr(ds, key, value)
    ds.PixelData = np.ascontiguousarray(pixels, dtype=np.uint16).tobytes()
    if not preamble:  # a bare data set, as some older systems write: no preamble, no file meta
        bare = DicomBytesIO()
        bare.is_little_endian, bare.is_implicit_VR = True, True
        pydicom.filewriter.write_dataset(bare, ds)
        return bare.getvalue()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_monochrome2_with_rescale_and_full_window_gives_the_original(xray):
    stored = xray.astype(np.uint16) * 16 + 100  # 12-bit-like detector values
    # Modality values = stored * 2 - 1024; a window covering exactly their range.
    lo, hi = 100 * 2 - 1024, (255 * 16 + 100) * 2 - 1024
    data = make_dicom(stored, slope=2, intercept=-1024, window=((lo + hi) / 2, hi - lo),
                      voi_function="LINEAR_EXACT")
    decoded = decode_image(data)
    assert decoded.source_format == "dicom" and decoded.dicom["Modality"] == "DX"
    assert np.abs(decoded.gray.astype(int) - xray).max() <= 1


def test_without_window_the_declared_range_is_shown_not_stretched(xray):
    """No window: stored 0..2**BitsStored - 1 map to 0..255, as for the same picture's PNG."""
    decoded = decode_image(make_dicom(xray.astype(np.uint16) * 256 + 7))
    np.testing.assert_array_equal(decoded.gray, ((xray * 256.0 + 7) * 255 / 65535).round())
    # A picture without black or white keeps its grey levels (a stretch would change them).
    flat = xray // 2 + 64
    np.testing.assert_array_equal(decode_image(make_dicom(flat.astype(np.uint16) * 257)).gray, flat)


def test_monochrome1_is_inverted(xray):
    decoded = decode_image(make_dicom(xray.astype(np.uint16) * 256, photometric="MONOCHROME1",
                                      window=(128 * 256, 256 * 256), voi_function="LINEAR_EXACT"))
    assert np.abs(decoded.gray.astype(int) - (255 - xray.astype(int))).max() <= 1


def test_narrow_window_clips_outside_values(xray):
    stored = xray.astype(np.uint16)
    decoded = decode_image(make_dicom(stored, window=(128, 64)))  # LINEAR: 96..160 -> 0..255
    assert decoded.gray[xray < 90].max() == 0
    assert decoded.gray[xray > 165].min() == 255
    middle = (xray > 100) & (xray < 155)
    assert 0 < decoded.gray[middle].mean() < 255


def test_voi_lut_sequence_is_applied(xray):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    stored = xray.astype(np.uint16)
    lut = Dataset()
    lut.LUTDescriptor = [256, 0, 8]  # 256 entries, first stored value 0, 8-bit output
    lut.LUTData = np.arange(255, -1, -1, dtype=np.uint16).tobytes()  # inverting: unmistakable
    decoded = decode_image(make_dicom(stored, window=(40, 10), VOILUTSequence=Sequence([lut])))
    np.testing.assert_array_equal(decoded.gray, 255 - xray)  # the LUT wins over the window


def test_multi_frame_reads_the_first_frame_with_a_warning(xray):
    frames = np.stack([xray, 255 - xray, xray // 2]).astype(np.uint16)
    decoded = decode_image(make_dicom(frames, window=(127.5, 256), voi_function="LINEAR_EXACT"))
    assert np.abs(decoded.gray.astype(int) - xray).max() <= 1
    assert any("3 frames" in w for w in decoded.warnings)


def test_bare_data_set_without_preamble_is_read(xray):
    data = make_dicom(xray.astype(np.uint16), preamble=False)
    assert data[128:132] != b"DICM"
    decoded = decode_image(data)
    assert decoded.source_format == "dicom" and decoded.gray.shape == xray.shape


def test_header_facts_are_kept_for_the_ood_guard(xray):
    decoded = decode_image(make_dicom(xray.astype(np.uint16), modality="CT", ViewPosition="LL",
                                      BodyPartExamined="HEAD"))
    assert decoded.dicom == {"Modality": "CT", "ViewPosition": "LL", "BodyPartExamined": "HEAD",
                             "AcquisitionDate": "", "ContentDate": "", "SeriesDate": "",
                             "StudyDate": ""}


def test_header_dates_are_kept_for_when_the_xray_was_taken(xray):
    decoded = decode_image(make_dicom(xray.astype(np.uint16), StudyDate="20240317",
                                      AcquisitionDate="20240318"))
    assert decoded.dicom["StudyDate"] == "20240317"
    assert decoded.dicom["AcquisitionDate"] == "20240318"
    assert decoded.dicom["SeriesDate"] == ""


def test_bad_dicoms_raise_typed_errors(xray):
    good = make_dicom(xray.astype(np.uint16))
    with pytest.raises(CorruptImage):
        decode_image(good[: len(good) // 2])  # pixel data cut short
    with pytest.raises(ImageTooLarge):
        decode_image(good, max_pixels=xray.size - 1)
    no_pixels = make_dicom(np.zeros((4, 4), np.uint16))
    ds = pydicom.dcmread(io.BytesIO(no_pixels))
    del ds.PixelData
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with pytest.raises(CorruptImage, match="cut short"):  # declares an image, holds none
        decode_image(buffer.getvalue())
    for image_attribute in ("Rows", "Columns", "SamplesPerPixel", "PhotometricInterpretation",
                            "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation"):
        delattr(ds, image_attribute)  # a report or structured document: no image at all
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with pytest.raises(UnsupportedFormat, match="no image"):
        decode_image(buffer.getvalue())
    for cut in (140, 300, 600):
        with pytest.raises(ImageError):
            decode_image(good[:cut])


def test_a_full_size_detector_image_over_20_mib_is_read(xray):
    # 3,328 x 4,096 pixels of 16 bits, as a flat-panel detector stores them uncompressed: 27 MB.
    big = np.asarray(Image.fromarray(xray).resize((3328, 4096), Image.Resampling.BILINEAR))
    data = make_dicom(big.astype(np.uint16) * 16, BitsStored=12, HighBit=11, window=(2040, 4080))
    assert len(data) > 26 * 1024 * 1024
    decoded = decode_image(data)
    assert decoded.gray.shape == (4096, 3328)
    np.testing.assert_allclose(decoded.gray.mean(), big.mean(), atol=1)


@pytest.fixture(scope="module")
def twelve_bit_dicom(xray) -> bytes:
    """A 12-bit detector image, as CR and DX systems store them, with a window over its range."""
    return make_dicom(xray.astype(np.uint16) * 16, BitsStored=12, HighBit=11, window=(2040, 4080))


@pytest.mark.parametrize("syntax", sorted(LOSSLESS_SYNTAXES))
def test_lossless_compressed_dicoms_decode_to_the_same_pixels(twelve_bit_dicom, syntax):
    compressed = compress_dicom(twelve_bit_dicom, syntax)
    assert pydicom.dcmread(io.BytesIO(compressed)).file_meta.TransferSyntaxUID == syntax
    assert len(compressed) < len(twelve_bit_dicom)  # really compressed, not a relabelled copy
    np.testing.assert_array_equal(decode_image(compressed).gray, decode_image(twelve_bit_dicom).gray)


def test_a_compression_no_installed_decoder_handles_is_refused_by_name(twelve_bit_dicom):
    # Pillow and GDCM both decode JPEG Extended, but not with 12-bit samples: the file is sound,
    # so the user is told what to export instead of being told it is damaged.
    compressed = compress_dicom(twelve_bit_dicom, JPEG_EXTENDED_12BIT)
    with pytest.raises(UnsupportedFormat, match=r"compressed as JPEG Extended .*12-bit.*export it"):
        decode_image(compressed)
    ds = pydicom.dcmread(io.BytesIO(twelve_bit_dicom))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.201"  # HTJ2K: no decoder installed
    ds.PixelData = pydicom.encaps.encapsulate([ds.PixelData])
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with pytest.raises(UnsupportedFormat, match="compressed as High-Throughput JPEG 2000"):
        decode_image(buffer.getvalue())


def _deflated(pixels: np.ndarray) -> bytes:
    """`make_dicom`'s file, deflated."""
    from tests.support.hostile_corpus import deflated

    return deflated(make_dicom(pixels))


def test_a_deflated_dicom_is_read_like_the_plain_one(xray):
    stored = xray.astype(np.uint16) * 256
    assert np.array_equal(decode_image(_deflated(stored)).gray, decode_image(make_dicom(stored)).gray)


def test_a_deflate_bomb_is_refused_before_it_is_unpacked():
    """42 megapixels of zeros (under the pixel limit) deflate to ~80 KB and unpack to 84 MB, over
    the 64 MiB file limit. pydicom unpacks a deflated data set whole before any size is known, so
    the file is refused on a running count of its unpacked bytes, holding none of them."""
    import tracemalloc

    bomb = _deflated(np.zeros((6000, 7000), np.uint16))
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLarge) as refused:
            decode_image(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.message.code == "dicom_inflates_too_large"
    assert peak < 16 * 2**20  # the file and one step of unpacking, never the 84 MB
    small = _deflated(np.full((64, 64), 1000, np.uint16))
    with pytest.raises(CorruptImage):  # damaged deflate data: a damaged file, not a crash
        decode_image(small[:-len(small) // 3] + b"\xff" * (len(small) // 3))


# --- files as some hospitals' systems write them (an audit with real X-rays, 2026-12-06) ---------

def _voi_lut(entries: np.ndarray, declared_bits: int):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    item = Dataset()
    item.LUTDescriptor = [len(entries), 0, declared_bits]
    item.LUTData = entries.astype("<u2").tobytes()
    return Sequence([item])


def test_a_voi_lut_declaring_16_bits_with_12_bit_entries_is_shown_by_its_entries(xray):
    """Some CR systems declare 16 output bits and write entries of 0..4095: read at its word the
    X-ray came out nearly black (grey 0..16) and the guard refused a valid film. Viewers scale by
    the entries, and so does the decoder now; a true 16-bit LUT keeps its 16 bits."""
    stored = xray.astype(np.uint16) * 16  # 12-bit detector values
    identity = np.arange(4096)
    declared_16 = make_dicom(stored, BitsStored=12, HighBit=11, window=(2048, 4096),
                             VOILUTSequence=_voi_lut(identity, 16))
    declared_12 = make_dicom(stored, BitsStored=12, HighBit=11, VOILUTSequence=_voi_lut(identity, 12))
    expected = decode_image(declared_12).gray
    assert np.abs(expected.astype(int) - xray).max() <= 1
    np.testing.assert_array_equal(decode_image(declared_16).gray, expected)
    full_16 = make_dicom(stored, BitsStored=12, HighBit=11, VOILUTSequence=_voi_lut(identity * 16, 16))
    assert np.abs(decode_image(full_16).gray.astype(int) - xray).max() <= 1


def test_presentation_lut_shape_inverse_is_one_inversion(xray):
    """INVERSE beside MONOCHROME2 asks for the lowest value white; DX files with MONOCHROME1 say
    INVERSE as well, which is the same inversion, not a second one."""
    negative = (255 - xray).astype(np.uint16)
    shown = decode_image(make_dicom(negative, BitsStored=8, HighBit=7, PresentationLUTShape="INVERSE"))
    np.testing.assert_array_equal(shown.gray, xray)
    dx = make_dicom(negative, photometric="MONOCHROME1", BitsStored=8, HighBit=7,
                    PresentationLUTShape="INVERSE")
    np.testing.assert_array_equal(decode_image(dx).gray, xray)
    identity = make_dicom(xray.astype(np.uint16), BitsStored=8, HighBit=7, PresentationLUTShape="IDENTITY")
    np.testing.assert_array_equal(decode_image(identity).gray, xray)


def test_a_dicom_whose_preamble_is_a_tiff_header_is_read_as_dicom(xray):
    """DICOM lets the 128-byte preamble hold a TIFF header (one file for both kinds of reader);
    the DICOM image is what was uploaded, not "a damaged TIFF"."""
    data = bytearray(make_dicom(xray.astype(np.uint16), BitsStored=8, HighBit=7))
    data[:4] = b"II*\x00"
    decoded = decode_image(bytes(data))
    assert decoded.source_format == "dicom"
    np.testing.assert_array_equal(decoded.gray, xray)


def test_a_compressed_dicom_cut_short_is_called_damaged_not_a_report(twelve_bit_dicom):
    """pydicom reads a file that ends inside its compressed pixel data as an empty data set: an
    interrupted copy, which the user must fetch again, not a DICOM without an image."""
    compressed = compress_dicom(twelve_bit_dicom, "1.2.840.10008.1.2.4.80")  # JPEG-LS lossless
    with pytest.raises(CorruptImage) as refused:
        decode_image(compressed[: len(compressed) * 2 // 3])
    assert refused.value.message.code == "dicom_cut_short"
    assert "cut short" in str(refused.value)


def test_a_cd_index_dicomdir_is_named_as_such():
    from pydicom.sequence import Sequence

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"  # Media Storage Directory Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("DICOMDIR", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.FileSetID = "CD1"
    ds.DirectoryRecordSequence = Sequence([])
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(UnsupportedFormat) as refused:
        decode_image(buffer.getvalue())
    assert refused.value.message.code == "dicom_directory"
    assert "DICOMDIR" in str(refused.value)
