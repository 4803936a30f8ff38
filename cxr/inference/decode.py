"""Turn an uploaded file (bytes or path) into an 8-bit grayscale image, or a typed ImageError.

Supported: PNG, JPEG, TIFF, BMP (8/16-bit, grey/colour/palette/alpha/CMYK, EXIF orientation) and
DICOM (rescale slope/intercept, VOI LUT or window centre/width, MONOCHROME1 inversion; of a
multi-frame DICOM the first frame is read, with a warning).

One X-ray gives the same 8-bit pixels whichever way it was saved: values with no display
settings (a 16-bit PNG or TIFF, a DICOM without VOI LUT or window) are scaled from the range
their bit depth declares, never stretched from the image's own darkest to brightest pixel, so
the 8-bit PNG, the 16-bit PNG (v * 257) and the 8-, 12- or 16-bit DICOM of one picture decode
alike (docs/results/format_consistency.md). The format is detected from the
file's first bytes, never from its name. Sizes are checked before pixels are decoded, so a small
file that declares a huge image (a decompression bomb) is refused cheaply.

Every failure inside decoding becomes an `ImageError`: the web app and the CLI only ever need to
catch that one type for bad input.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import re
import warnings as warnings_module
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from cxr.inference.errors import (
    CorruptImage,
    EmptyFile,
    FileUnreadable,
    ImageError,
    ImageTooLarge,
    UnsupportedFormat,
)
from cxr.inference.notices import Notice

log = logging.getLogger(__name__)

# Uncompressed DICOMs from flat-panel detectors reach 20-40 MB (3,328 x 4,096 x 16 bits is
# 27 MB); the pixel limit, checked before decoding, is what stops decompression bombs.
MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000
SUPPORTED = "PNG, JPEG, TIFF, BMP or DICOM"
# The JPEGs among the training images were saved at quality 90 (every one of the raddb
# collection's, ../shared/data/cxr); a stronger compression changes the pixels more than the
# model ever saw, and its readings move with it (docs/results/codec_augmentation.md: with the
# model bundled on 2026-12-03, JPEG q75 moved 128 of 200 test X-rays by more than 0.02, q95 60).
JPEG_QUALITY_OF_TRAINING = 90
# A CD's index file (DICOMDIR): DICOM, but it lists the disc's images rather than holding one.
MEDIA_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10"
# The header's dates, kept (as YYYYMMDD text) so that a caller can tell when the X-ray was taken;
# the most specific first: when the image was acquired, else made, else its series' and study's
# dates (a study may span midnight; an acquisition does not).
DICOM_DATES = ("AcquisitionDate", "ContentDate", "SeriesDate", "StudyDate")

# Formats we recognise only to give a precise refusal.
_KNOWN_UNSUPPORTED = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
)

# The major brands of HEIF pictures (ISO/IEC 23008-12: HEIC, as iPhones save photos, and its
# sequences); other "ftyp" files are mostly MP4/MOV videos.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}

_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "bmp": "BMP"}

# A pixel counts as "coloured" when its channels differ by more than this (out of 255).
_CHROMA_LEVEL = 40
# The tint is measured on the picture averaged over a 64 x 64 grid of blocks: a block's mean
# keeps a colour cast but averages away sensor noise and JPEG's chroma rounding.
_TINT_GRID = 64


@dataclass
class DecodedImage:
    """What decoding found: the grey pixels plus facts the OOD guard and the user need."""

    gray: np.ndarray  # uint8 (H, W)
    source_format: str  # "png", "jpeg", "tiff", "bmp", "dicom"
    warnings: list[Notice] = field(default_factory=list)
    colour_fraction: float = 0.0  # share of strongly coloured pixels before grey conversion
    colour_tint: float = 0.0  # typical colour cast in grey levels (0 for a grey picture)
    # Modality, ViewPosition, BodyPartExamined (the guard's) and the header's dates (DICOM_DATES)
    dicom: dict[str, str] = field(default_factory=dict)
    # The camera that took the picture, where its EXIF says one did ("Apple iPhone 13", or "" when
    # unnamed); None otherwise. An X-ray file is exported, never photographed (guard/rules.py).
    camera: str | None = None


def sniff_format(data: bytes) -> str:
    """Name the container from its magic bytes; raise UnsupportedFormat for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    # "DICM" after the 128-byte preamble first: DICOM lets that preamble hold a TIFF header (a
    # file both a TIFF and a DICOM reader can open), and the DICOM data set is the image we want.
    if data[128:132] == b"DICM":
        return "dicom"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    # A DICOM data set without the 128-byte preamble starts with a group 0002 or 0008 tag.
    if data[:2] in (b"\x02\x00", b"\x08\x00") and int.from_bytes(data[2:4], "little") < 0x1000:
        return "dicom"
    for magic, name in _KNOWN_UNSUPPORTED:
        if data.startswith(magic):
            raise UnsupportedFormat(Notice("format_not_supported", format=name, supported=SUPPORTED))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise UnsupportedFormat(Notice("format_not_supported", format="WebP", supported=SUPPORTED))
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIF_BRANDS:  # an iPhone's photo: say how to get a JPEG instead
            raise UnsupportedFormat(Notice("heic_not_supported", supported=SUPPORTED))
        raise UnsupportedFormat(Notice("format_not_supported", format="HEIC/MP4", supported=SUPPORTED))
    raise UnsupportedFormat(Notice("not_an_image", supported=SUPPORTED))


def read_input(source: bytes | bytearray | memoryview | str | os.PathLike, max_bytes: int = MAX_BYTES) -> bytes:
    """Bytes of an upload or a file, refusing empty and oversized input before reading it all."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ImageTooLarge(_too_many_bytes(size, max_bytes))
            if not path.is_file():
                raise FileUnreadable(Notice("not_a_file", path=str(path)))
            data = path.read_bytes()
        except ImageError:
            raise
        except OSError as exc:
            raise FileUnreadable(Notice("cannot_read_file", path=str(path), error=str(exc.strerror or exc))) from None
    else:
        raise UnsupportedFormat(Notice("wrong_input_type", type=type(source).__name__))
    if not data:
        raise EmptyFile(Notice("empty_file"))
    if len(data) > max_bytes:
        raise ImageTooLarge(_too_many_bytes(len(data), max_bytes))
    return data


def decode_image(
    source: bytes | str | os.PathLike,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> DecodedImage:
    """Decode `source` to grey uint8. Raises only ImageError subclasses."""
    data = read_input(source, max_bytes)
    fmt = sniff_format(data)
    try:
        if fmt == "dicom":
            decoded = _decode_dicom(data, max_pixels, max_bytes)
        else:
            decoded = _decode_pillow(data, fmt, max_pixels)
    except ImageError:
        raise
    except MemoryError:
        raise ImageTooLarge(Notice("too_large_to_decode")) from None
    except Image.DecompressionBombError:
        raise ImageTooLarge(_too_many_pixels(None, max_pixels)) from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the user
        detail = _short(exc)
        # The decoder's words stay out of the sentence (English and technical) but not lost.
        log.info("damaged %s file: %s", fmt.upper(), detail)
        raise CorruptImage(Notice("damaged_file", format=fmt.upper(), detail=detail)) from None
    gray = decoded.gray
    if gray.ndim != 2 or gray.size == 0:
        raise CorruptImage(Notice("no_picture", format=fmt.upper()))
    decoded.gray = np.ascontiguousarray(gray, dtype=np.uint8)
    return decoded


# --- Pillow formats -----------------------------------------------------------------------

def _decode_pillow(data: bytes, fmt: str, max_pixels: int) -> DecodedImage:
    warnings: list[Notice] = []
    try:
        img = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[fmt]])
    except Image.DecompressionBombError:
        # Pillow refuses an image past its own limit (about 179 megapixels) while opening it,
        # without its size: read the size to say it, as the refusal of a smaller image does.
        raise ImageTooLarge(_too_many_pixels(_declared_size(data, fmt), max_pixels)) from None
    width, height = img.size
    _check_pixels(width, height, max_pixels)
    if getattr(img, "n_frames", 1) > 1:
        warnings.append(Notice("extra_frames", frames=int(img.n_frames)))
    img.load()
    camera = camera_of(img)  # before exif_transpose, which rewrites the EXIF block
    try:
        # In place: without an orientation tag there is nothing to turn, and no copy to make.
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # noqa: BLE001 - a broken EXIF block should not lose the picture
        warnings.append(Notice("exif_unreadable"))
    gray, rgb = _pillow_to_gray(img, warnings)
    quality = jpeg_quality(img) if fmt == "jpeg" else None
    if quality is not None and quality < JPEG_QUALITY_OF_TRAINING:
        warnings.append(Notice("jpeg_strongly_compressed", quality=quality,
                               training_quality=JPEG_QUALITY_OF_TRAINING))
    return DecodedImage(gray, fmt, warnings, *_colour_measures(rgb), camera=camera)


# Bytes a sample of each Pillow mode takes once decoded (the modes not listed take one).
_MODE_SAMPLE_BYTES = {"I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "I;16S": 2, "I": 4, "F": 4, "I;32": 4}


def decoded_bytes(head: bytes) -> int | None:
    """How many bytes the pixels of the image whose file starts with `head` take once decoded, as
    its header declares them (the first frame of a DICOM); None where the header cannot tell.

    A file's size says little about it: a 190 KB PNG can declare 7,000 x 7,000 RGBA pixels, 200
    MB decoded and about 700 MB while it is turned grey. A server deciding what to read one at a
    time asks this first. Reads headers only; the first megabyte of a file is plenty."""
    try:
        fmt = sniff_format(head)
    except ImageError:
        return None
    try:
        if fmt == "dicom":
            if _DEFLATED_SYNTAX in head[:2048]:
                return None  # reading its header inflates the data set: the decoder caps that
            import pydicom

            with warnings_module.catch_warnings():
                warnings_module.simplefilter("ignore", UserWarning)
                ds = pydicom.dcmread(io.BytesIO(head), force=head[128:132] != b"DICM", stop_before_pixels=True)
            return (int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1))
                    * ((int(ds.get("BitsAllocated", 8)) + 7) // 8))
        img = Image.open(io.BytesIO(head), formats=[_PILLOW_FORMATS[fmt]])
        return img.width * img.height * len(img.getbands()) * _MODE_SAMPLE_BYTES.get(img.mode, 1)
    except Image.DecompressionBombError:
        size = _declared_size(head, fmt)
        return None if size is None else size[0] * size[1]
    except Exception:  # noqa: BLE001 - a header it cannot read: the decoder will say why
        return None


def _declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """The (width, height) a Pillow format's header declares, read by the format's own opener,
    which decodes no pixels and, unlike Image.open, does not refuse a huge size; None where the
    header cannot be read."""
    try:
        opener, _accept = Image.OPEN[_PILLOW_FORMATS[fmt]]  # registered by Image.open
        return opener(io.BytesIO(data)).size
    except Exception:  # noqa: BLE001 - the refusal stands without its size
        return None


# EXIF tags a camera writes when it takes a picture (in the Exif IFD): exposure time, f-number,
# ISO speed, focal length. Exporting or converting an image (a PACS viewer, a scanner's software,
# an image editor) does not make them up, and none of the 7,516 X-rays in ../shared has one.
_EXIF_IFD = 0x8769
_CAPTURE_TAGS = (0x829A, 0x829D, 0x8827, 0x920A)
_MAKE, _MODEL = 0x010F, 0x0110


def camera_of(img: Image.Image) -> str | None:
    """The camera that took `img` where its EXIF records taking it: "Apple iPhone 13" (Make and
    Model, printable, at most 60 characters), "" when it names none; None without such a record
    (or with an unreadable EXIF block)."""
    try:
        exif = img.getexif()
        taken = exif.get_ifd(_EXIF_IFD)
    except Exception:  # noqa: BLE001 - a broken EXIF block says nothing either way
        return None
    if not any(tag in taken for tag in _CAPTURE_TAGS):
        return None
    make, model = (" ".join("".join(ch for ch in str(exif.get(tag, "")) if ch.isprintable()).split())
                   for tag in (_MAKE, _MODEL))
    name = model if make and model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    return name[:60]


def jpeg_quality(img: Image.Image) -> int | None:
    """The quality (1-100) a JPEG was most likely saved at: the libjpeg quality whose luminance
    table lies nearest the file's. Exact for files written with libjpeg's tables (most software);
    the nearest match for other encoders. None without a table."""
    tables = getattr(img, "quantization", None) or {}
    if 0 not in tables or len(tables[0]) != 64:
        return None
    table = np.asarray(tables[0], dtype=np.int32)
    references = _libjpeg_luminance_tables()
    return int(1 + np.abs(references - table).sum(axis=1).argmin())


@functools.cache
def _libjpeg_luminance_tables() -> np.ndarray:
    """The luminance table of each quality 1..100 as Pillow's libjpeg writes and reads it (100 x 64)."""
    tiny = Image.new("L", (8, 8), 128)
    rows = []
    for quality in range(1, 101):
        buffer = io.BytesIO()
        tiny.save(buffer, "JPEG", quality=quality)
        rows.append(Image.open(buffer).quantization[0])
    return np.asarray(rows, dtype=np.int32)


def _pillow_to_gray(img: Image.Image, warnings: list[Notice]) -> tuple[np.ndarray, np.ndarray | None]:
    """The grey pixels, and the RGB pixels they came from when the picture was in colour."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I;16S", "I", "F", "I;32"):
        arr = np.asarray(img)
        warnings.append(Notice("high_bit_depth"))
        if mode == "F" or mode == "I;16S" or (arr.size and arr.min() < 0):
            return _per_stored_value(arr, lambda codes, whole: _stretch_to_uint8(
                codes.astype(np.float64), whole)), None  # no range to go by
        bits = 16 if mode.startswith("I;16") else 32
        return _per_stored_value(arr, lambda codes, whole: _bit_range_to_uint8(
            codes, codes, bits, whole=whole)), None
    if mode == "L":
        return np.asarray(img), None
    if mode == "1":
        return np.asarray(img.convert("L")), None
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("LA", "La", "PA"):
        img = img.convert("RGBA")
    elif mode not in ("RGB", "RGBA", "RGBa"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...
    if img.mode in ("RGBA", "RGBa"):
        # Transparent parts are shown over black, the background of a radiograph. One RGBA copy
        # at most: each is 4 bytes a pixel (200 MB at 50 megapixels).
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        background = Image.new("RGB", img.size, (0, 0, 0))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    return np.asarray(img.convert("L")), np.asarray(img)


def _colour_measures(rgb: np.ndarray | None) -> tuple[float, float]:
    """(colour_fraction, colour_tint) of a colour picture; (0, 0) for a grey one."""
    return (0.0, 0.0) if rgb is None else (colour_fraction(rgb), colour_tint(rgb))


def colour_fraction(rgb: np.ndarray) -> float:
    """Share of pixels whose channels differ strongly: about 0 for any radiograph."""
    step = max(1, max(rgb.shape[:2]) // 256)  # a thumbnail is plenty for a share
    small = rgb[::step, ::step].astype(np.int16)
    chroma = small.max(axis=2) - small.min(axis=2)
    return float((chroma > _CHROMA_LEVEL).mean())


def colour_tint(rgb: np.ndarray) -> float:
    """The median block's colour cast in grey levels (largest minus smallest channel mean).

    A grey X-ray saved as RGB, even as JPEG, has exactly 0; a phone photo of a screen or of a
    film on a lightbox carries the camera's white balance and the light's colour across the
    whole picture. The median ignores coloured arrows and labels on part of a film."""
    blocks = np.asarray(Image.fromarray(rgb, "RGB").resize((_TINT_GRID, _TINT_GRID), Image.Resampling.BOX),
                        np.float32)
    return float(np.median(blocks.max(axis=2) - blocks.min(axis=2)))


# --- DICOM ------------------------------------------------------------------------------------

_DEFLATED_SYNTAX = b"1.2.840.10008.1.2.1.99"  # Deflated Explicit VR Little Endian
# Explicit VR elements whose value length takes 4 bytes, after 2 reserved ones (PS3.5 7.1.2).
_LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_INFLATE_STEP = 1 << 20


def _file_meta_group(data: bytes) -> tuple[dict[int, bytes], int]:
    """The file meta group's values by element number (0002,eeee) and the offset where the data
    set after it starts. The group is explicit VR little endian right after "DICM" (PS3.10 7.1)."""
    values, pos = {}, 132
    while pos + 8 <= len(data) and data[pos:pos + 2] == b"\x02\x00":
        element, vr = int.from_bytes(data[pos + 2:pos + 4], "little"), data[pos + 4:pos + 6]
        if vr in _LONG_LENGTH_VRS:
            length, pos = int.from_bytes(data[pos + 8:pos + 12], "little"), pos + 12
        else:
            length, pos = int.from_bytes(data[pos + 6:pos + 8], "little"), pos + 8
        values[element] = data[pos:pos + length]
        pos += length
    return values, pos


def check_dicom_inflation(data: bytes, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a DICOM file whose deflated data set unpacks to more than `max_bytes`.

    pydicom inflates a Deflated Explicit VR Little Endian data set whole, in memory, before any
    size can be checked: 1 MB of zeros unpacks to 1 GiB. This counts the unpacked bytes a step at
    a time first, keeping none of them. Other files pass unchanged; damaged deflate data raises
    zlib.error (a damaged file to the caller)."""
    if data[128:132] != b"DICM":
        return  # only a file meta group can declare the deflated syntax
    meta, start = _file_meta_group(data)
    if meta.get(0x0010, b"").rstrip(b"\x00 ") != _DEFLATED_SYNTAX:
        return
    inflater, pending, size = zlib.decompressobj(-zlib.MAX_WBITS), data[start:], 0
    while pending and not inflater.eof:
        size += len(inflater.decompress(pending, _INFLATE_STEP))
        if size > max_bytes:
            raise ImageTooLarge(Notice("dicom_inflates_too_large", limit_mib=max_bytes / 2**20))
        pending = inflater.unconsumed_tail

def _decode_dicom(data: bytes, max_pixels: int, max_bytes: int) -> DecodedImage:
    import pydicom
    from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

    check_dicom_inflation(data, max_bytes)
    has_preamble = data[128:132] == b"DICM"
    # Large values (the pixel data) stay in `data` until asked for: uncompressed pixels are then
    # read straight from it (`_native_first_frame`), never copied into the data set.
    with warnings_module.catch_warnings():
        # pydicom warns on stderr of what it skipped in a damaged file ("End of file reached
        # before delimiter"); the checks below turn that into the user's error instead.
        warnings_module.simplefilter("ignore", UserWarning)
        ds = pydicom.dcmread(io.BytesIO(data), force=not has_preamble, defer_size=_DEFER_BYTES)
    if "TransferSyntaxUID" not in ds.file_meta:
        # A bare data set: its encoding was guessed while reading; name it for the decoder.
        from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

        implicit = bool(ds.original_encoding[0])
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    if "PixelData" not in ds:
        if str(ds.file_meta.get("MediaStorageSOPClassUID", "")) == MEDIA_DIRECTORY_STORAGE:
            raise UnsupportedFormat(Notice("dicom_directory"))
        if len(ds) == 0 or "Rows" in ds:
            # pydicom stops quietly at an early end of file: a data set that breaks off before
            # its first element, or that declares an image and holds none, was cut short
            # (an interrupted copy), not a report without pixels.
            raise CorruptImage(Notice("dicom_cut_short"))
        raise UnsupportedFormat(Notice("dicom_no_image"))
    rows, cols = int(ds.Rows), int(ds.Columns)
    _check_pixels(cols, rows, max_pixels)
    _check_transfer_syntax(ds)
    warnings: list[Notice] = []
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        warnings.append(Notice("dicom_extra_frames", frames=frames))
    if str(ds.get("BurnedInAnnotation", "") or "").strip().upper() == "YES":
        warnings.append(Notice("dicom_burned_in_text"))
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    native = _native_first_frame(ds, data) if photometric in ("MONOCHROME1", "MONOCHROME2") else None
    try:
        arr = native[0] if native else pixel_array(ds, index=0) if frames > 1 else ds.pixel_array
    except RuntimeError as exc:
        if "does not support" not in str(exc):
            raise  # a damaged file
        # A decoder exists for the syntax but not for this variant of it (12-bit JPEG Extended):
        # the file is fine, this server cannot read it.
        name = getattr(ds.file_meta.TransferSyntaxUID, "name", str(ds.file_meta.TransferSyntaxUID))
        bits = ds.get("BitsStored")
        compression = f"{name}, {bits}-bit" if bits else name
        raise UnsupportedFormat(Notice("dicom_compression", compression=compression)) from None
    meta = {
        key: str(ds.get(key, "") or "").strip().upper()
        for key in ("Modality", "ViewPosition", "BodyPartExamined", *DICOM_DATES)
    }
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        invert = _shown_inverted(ds, photometric)

        def to_gray(codes: np.ndarray, whole: _Whole | None) -> np.ndarray:
            values = apply_modality_lut(codes, ds)  # rescale slope/intercept or modality LUT
            gray = _dicom_voi(codes, values, ds, warnings, whole)
            return 255 - gray if invert else gray  # bright stored as low

        del ds.PixelData  # the pixels are in `arr` now: the data set's copy is not needed
        interpret = native[1] if native else None
        return DecodedImage(_per_stored_value(arr, to_gray, interpret), "dicom", warnings, dicom=meta)
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise UnsupportedFormat(Notice("dicom_colour_layout", layout=photometric))
    rgb = arr if arr.dtype == np.uint8 else _stretch_to_uint8(arr.astype(np.float64))
    gray = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    fraction, tint = _colour_measures(rgb)
    return DecodedImage(gray, "dicom", warnings, colour_fraction=fraction, colour_tint=tint, dicom=meta)


def _shown_inverted(ds, photometric: str) -> bool:
    """Whether the lowest value is to be shown white. MONOCHROME1 says so, and DX and CR files
    then also say Presentation LUT Shape INVERSE: one inversion, not two. INVERSE beside
    MONOCHROME2 asks for the inversion on its own (PS3.3 C.11.6)."""
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    return photometric == "MONOCHROME1" or shape == "INVERSE"


def _check_transfer_syntax(ds) -> None:
    from pydicom.pixels import get_decoder

    syntax = ds.file_meta.TransferSyntaxUID
    try:
        available = get_decoder(syntax).is_available
    except NotImplementedError:
        available = False
    if not available:
        name = getattr(syntax, "name", str(syntax))
        raise UnsupportedFormat(Notice("dicom_compression", compression=str(name)))


def _dicom_voi(stored: np.ndarray, values: np.ndarray, ds, warnings: list[Notice],
               whole: _Whole | None = None) -> np.ndarray:
    """Apply the file's own display settings (VOI LUT, else window) to 0..255; without them, the
    range of stored values that BitsStored declares (see `_dicom_full_range`). `whole`: the
    image's statistics when `stored` is a lookup table's domain (`_per_stored_value`)."""
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        from pydicom.pixels import apply_voi

        if not np.issubdtype(values.dtype, np.integer):
            values = np.round(values).astype(np.int64)  # a LUT is indexed by whole values
        out = apply_voi(values, ds, index=0).astype(np.float64)
        bits = _voi_lut_output_bits(ds.VOILUTSequence[0])
        return np.clip(out * (255.0 / (2**bits - 1)), 0, 255).round().astype(np.uint8)
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is not None and width is not None:
        center = float(center[0] if _is_multi(center) else center)
        width = float(width[0] if _is_multi(width) else width)
        if width >= 1:
            function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").upper()
            return _window(values.astype(np.float32), center, width, function)
        warnings.append(Notice("dicom_window_invalid"))
    return _dicom_full_range(stored, values, ds, whole)


def _voi_lut_output_bits(item) -> int:
    """The bits a VOI LUT's output spans. Its descriptor declares them, but some CR systems
    declare 16 and write 12-bit entries (0..4095): taken at its word, such a LUT shows the X-ray
    nearly black, and the guard refused valid films. As DICOM viewers do, the entries decide:
    the fewest bits, at least 8 and at most the declared, that hold the largest entry."""
    declared = int(item.LUTDescriptor[2]) or 16
    data = item.LUTData
    if isinstance(data, bytes | bytearray):
        entries = np.frombuffer(data, dtype="<u2" if declared > 8 else np.uint8)
    else:
        entries = np.atleast_1d(np.asarray(data))
    largest = int(entries.max()) if entries.size else 0
    return min(declared, max(8, largest.bit_length()))


def _dicom_full_range(stored: np.ndarray, values: np.ndarray, ds, whole: _Whole | None = None) -> np.ndarray:
    """Without display settings, show the declared range of stored values: 0..2**bits - 1 of
    unsigned data, through the rescale, to 0..255. An 8-bit DICOM thus gives its stored values
    unchanged, exactly as the 8-bit PNG of the same picture; stretching each image from its own
    darkest to brightest pixel instead changed 15 of 40 real X-rays by up to 49 grey levels and
    moved probabilities by up to 0.09. Signed, float and modality-LUT data keep that stretch:
    they have no range to go by."""
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    if signed or "ModalityLUTSequence" in ds or not np.issubdtype(stored.dtype, np.integer):
        return _stretch_to_uint8(values.astype(np.float64), whole)
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    bits_stored = int(ds.get("BitsStored") or 8 * stored.dtype.itemsize)
    return _bit_range_to_uint8(stored, values.astype(np.float64), bits_stored, slope, intercept, whole)


def _window(values: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2 windowing, scaled to 0..1 then to 8 bits."""
    if function == "SIGMOID":
        y = 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    elif function == "LINEAR_EXACT":
        y = (values - center) / width + 0.5
    else:  # LINEAR
        y = (values - (center - 0.5)) / max(width - 1.0, 1.0) + 0.5
    return np.clip(y * 255.0, 0, 255).round().astype(np.uint8)


def _is_multi(value) -> bool:
    return isinstance(value, list | tuple) or type(value).__name__ == "MultiValue"


# --- helpers ----------------------------------------------------------------------------------

def _bit_range_to_uint8(stored: np.ndarray, values: np.ndarray, bits: int, slope: float = 1.0,
                        intercept: float = 0.0, whole: _Whole | None = None) -> np.ndarray:
    """`values` (= stored * slope + intercept) scaled from the range of `bits`-bit unsigned
    stored values to 0..255 (an 8-bit range is kept as it is; v * 257 in 16 bits gives v).

    Containers are often wider than their data (12-bit detector values in a 16-bit PNG or in a
    DICOM declaring 16 bits stored): the range is narrowed to the fewest bits, at least 8, that
    hold the brightest stored value. An X-ray's brightest pixels (bone, markers, labels) lie in
    the top half of its range, so this finds the range the data were made in. `whole`: the
    image's statistics when `stored` is a lookup table's domain (the peak is the image's)."""
    peak = whole.peak() if whole is not None else int(stored.max()) if stored.size else 0
    used = max(8, peak.bit_length())
    bits = min(bits, used) if peak < 2**bits else used
    ends = (intercept, intercept + slope * (2**bits - 1))
    lo, hi = min(ends), max(ends)
    if hi <= lo:
        return _stretch_to_uint8(values, whole)
    out = (values.astype(np.float64) - lo) * (255.0 / (hi - lo))
    return np.clip(out, 0, 255).round().astype(np.uint8)


def _stretch_to_uint8(values: np.ndarray, whole: _Whole | None = None) -> np.ndarray:
    """Linear map of the darkest..brightest value to 0..255 (constant images become 0). `whole`:
    the image's statistics when `values` are a lookup table's (`_per_stored_value`): darkest and
    brightest are then taken over the stored values that occur in the image."""
    finite = values[np.isfinite(values) & (True if whole is None else whole.present)]
    if finite.size == 0:
        return np.zeros(values.shape[:2] if values.ndim == 3 else values.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    out = np.nan_to_num((values - lo) * scale, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(out, 0, 255).round().astype(np.uint8)


# Lookup tables pay off above this many pixels (a table has up to 65,536 entries to compute).
_LUT_MIN_PIXELS = 1 << 18
_LUT_CHUNK = 1 << 18  # pixels per step of applying a table: bounds the index copy np.take makes (2 MB)


def _per_stored_value(image: np.ndarray, to_uint8, interpret=None) -> np.ndarray:
    """`to_uint8(codes, whole)` -> uint8, for every pixel of `image`, computed once per possible
    stored value rather than once per pixel.

    Every mapping here (rescale, modality LUT, window, VOI LUT, bit range, stretch) works value
    by value, given the image's peak and the values that occur in it: so the table of every
    value an integer image of at most 16 bits can hold gives exactly the same pixels, without
    float64 copies of the image (8 bytes a pixel: 270 MB for a 64 MiB DICOM). `to_uint8` gets
    the table's domain as `codes` and the image's statistics as `whole` (a `_Whole`); for other
    images (float, 32-bit, small) it gets the image itself as `codes` and None.

    `interpret`: for raw bit patterns (a DICOM's pixels read straight from the file), the
    function that turns them into stored values as pydicom does (masking unused high bits,
    extending the sign); applied to the table's domain only, or to a small image's pixels.
    """
    table_domain = _lut_domain(image)
    if table_domain is None:
        return to_uint8(image if interpret is None else interpret(image), None)
    codes = table_domain if interpret is None else interpret(table_domain)
    table = np.ascontiguousarray(to_uint8(codes, _Whole(image, codes, interpret is None)), dtype=np.uint8)
    index = image.view(np.uint8 if image.dtype.itemsize == 1 else np.uint16)
    out = np.empty(image.shape, np.uint8)
    flat_index, flat_out = index.reshape(-1), out.reshape(-1)
    for start in range(0, flat_index.size, _LUT_CHUNK):
        np.take(table, flat_index[start:start + _LUT_CHUNK], out=flat_out[start:start + _LUT_CHUNK])
    return out


class _Whole:
    """What the value-by-value mappings need from the whole image while they are computed on a
    table's domain: its brightest stored value and which entries of the domain occur in it."""

    def __init__(self, image: np.ndarray, codes: np.ndarray, codes_are_image_values: bool):
        self.image, self.codes, self.direct = image, codes, codes_are_image_values

    def peak(self) -> int:
        if self.direct:
            return int(self.image.max()) if self.image.size else 0
        present = self.codes[self.present]
        return int(present.max()) if present.size else 0

    @functools.cached_property
    def present(self) -> np.ndarray:
        """bool per entry of the domain: does that bit pattern occur in the image."""
        image = self.image
        index = image.view(np.uint8 if image.dtype.itemsize == 1 else np.uint16).reshape(-1)
        present = np.zeros(1 << (8 * image.dtype.itemsize), bool)
        for start in range(0, index.size, _LUT_CHUNK):
            present[index[start:start + _LUT_CHUNK]] = True
        return present


def _lut_domain(image: np.ndarray) -> np.ndarray | None:
    """Every value `image`'s dtype can hold, ordered by its bit pattern (so the image viewed as
    unsigned integers indexes it), or None when no table is worth it or possible."""
    dtype = image.dtype
    if (dtype.kind not in "ui" or dtype.itemsize > 2 or not dtype.isnative
            or image.size < _LUT_MIN_PIXELS or not image.flags.c_contiguous):
        return None
    unsigned = np.uint8 if dtype.itemsize == 1 else np.uint16
    return np.arange(np.iinfo(unsigned).max + 1, dtype=unsigned).view(dtype)


# Elements longer than this are left in the file by pydicom until read (the pixel data).
_DEFER_BYTES = 1 << 20
_NATIVE_SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")  # implicit/explicit VR little endian


def _native_first_frame(ds, data: bytes):
    """(raw bit patterns of the first frame as a read-only view of `data`, the function that
    makes pydicom's stored values of them), for uncompressed little-endian monochrome pixels of
    8 or 16 bits; None for anything else, which pydicom decodes. No copy of the pixels is made:
    a 64 MiB DICOM is not held three times (file, data set, array) while it is read."""
    try:
        element = ds.get_item("PixelData", keep_deferred=True)
        syntax = str(ds.file_meta.TransferSyntaxUID)
        rows, cols = int(ds.Rows), int(ds.Columns)
        allocated, stored = int(ds.BitsAllocated), int(ds.get("BitsStored") or ds.BitsAllocated)
        signed = int(ds.get("PixelRepresentation", 0) or 0)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        high_bit = int(ds.get("HighBit", stored - 1))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    offset = getattr(element, "value_tell", None)
    if (syntax not in _NATIVE_SYNTAXES or samples != 1 or allocated not in (8, 16) or signed not in (0, 1)
            or not 1 <= stored <= allocated or high_bit != stored - 1 or offset is None
            or getattr(element, "value", None) is not None or element.length == 0xFFFFFFFF
            or element.length < rows * cols * allocated // 8 or offset + rows * cols * allocated // 8 > len(data)):
        return None
    raw_type = np.dtype(f"<{'iu'[not signed]}{allocated // 8}")
    raw = np.frombuffer(data, dtype=raw_type, count=rows * cols, offset=offset).reshape(rows, cols)
    if stored == allocated:
        return raw, None

    def interpret(patterns: np.ndarray) -> np.ndarray:
        """pydicom's stored values: bits above BitsStored cleared, the sign extended if signed."""
        unsigned = patterns.view(raw_type.newbyteorder("=").str.replace("i", "u"))
        values = unsigned & ((1 << stored) - 1)
        if signed:
            values = values.view(raw_type.newbyteorder("=")).copy()
            values[values >= 1 << (stored - 1)] -= 1 << stored
        return values

    return raw, interpret


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise CorruptImage(Notice("impossible_size", width=int(width), height=int(height)))
    if width * height > max_pixels:
        raise ImageTooLarge(_too_many_pixels((width, height), max_pixels))


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> Notice:
    if size is None:
        return Notice("too_many_pixels", limit_megapixels=max_pixels / 1e6)
    return Notice("too_many_pixels_sized", width=int(size[0]), height=int(size[1]),
                  limit_megapixels=max_pixels / 1e6)


def _too_many_bytes(size: int, max_bytes: int) -> Notice:
    return Notice("file_too_large", size_mib=size / 2**20, limit_mib=max_bytes / 2**20)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # Pillow names the stream it read ("<_io.BytesIO object at 0x7f...>"): no use to a person.
    text = re.sub(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>", "", text)
    if len(text) > 160:  # cut between words, and say it was cut
        text = text[:160].rsplit(" ", 1)[0].rstrip(" ,;:(-") + "…"
    return text
