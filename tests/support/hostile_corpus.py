"""A generated corpus of malformed and hostile uploads, built from real X-rays.

Every case is (name, filename, content type, bytes, must_reject). `must_reject` marks files that
no decoder may accept (not an image, over a limit, an unsupported format); the others are left
to an independent decoder (`readable_by_reference`) to say whether they are still a picture.
Everything is deterministic (fixed seeds), so a failure names a case that can be rebuilt.
"""
from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cxr.data.dicom_codecs import compress_dicom


@dataclass
class Case:
    name: str
    filename: str
    content_type: str
    data: bytes
    must_reject: bool = False


# --- building blocks ------------------------------------------------------------------------

def gray_pixels(path: Path, side: int | None = None) -> np.ndarray:
    img = Image.open(path).convert("L")
    if side:
        img = img.resize((side, side))
    return np.asarray(img, dtype=np.uint8)


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, idat: bytes = b"", bit_depth: int = 8,
                  colour_type: int = 0) -> bytes:
    """A PNG with a correct IHDR (valid CRC) declaring any size, and the given IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", idat or zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def png_bomb(side: int) -> bytes:
    """A real decompression bomb: side x side black pixels, a few kilobytes compressed."""
    row = b"\0" + b"\0" * side
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return png_declaring(side, side, body)


def jpeg_declaring(jpeg: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose start-of-frame header is rewritten to claim another size."""
    data = bytearray(jpeg)
    for marker in (b"\xff\xc0", b"\xff\xc2", b"\xff\xc1"):
        at = data.find(marker)
        if at != -1:
            data[at + 5:at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF marker")


def dicom_bytes(pixels: np.ndarray | None, frames: int = 1, patient: dict | None = None,
                **tags) -> bytes:
    """A DICOM file of `pixels` (uint8 or uint16, (H, W) or (frames, H, W)); `tags` override any
    attribute after the image attributes are set (None deletes it)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    claimed_syntax = tags.pop("TransferSyntaxUID", None)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("upload.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    for key, value in (patient or {}).items():
        setattr(ds, key, value)
    if pixels is not None:
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.Rows, ds.Columns = pixels.shape[-2:]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        bits = 16 if pixels.dtype == np.uint16 else 8
        ds.BitsAllocated = bits
        ds.BitsStored = bits
        ds.HighBit = bits - 1
        ds.PixelRepresentation = 0
        ds.PixelData = pixels.tobytes()
    for key, value in tags.items():
        if value is None:
            if key in ds:
                delattr(ds, key)
        else:
            setattr(ds, key, value)
    if claimed_syntax and len(claimed_syntax) > len(ExplicitVRLittleEndian) + 1:
        # A compressed syntax: the raw pixels wrapped as if they were compressed frames.
        from pydicom.encaps import encapsulate

        meta.TransferSyntaxUID = claimed_syntax
        ds.PixelData = encapsulate([ds.PixelData])
        ds["PixelData"].VR = "OB"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    if claimed_syntax and len(claimed_syntax) <= len(ExplicitVRLittleEndian) + 1:
        # The header lies: same-length UID patched in, the data set stays little endian.
        actual = (ExplicitVRLittleEndian + "\0").encode()
        data = data.replace(actual, claimed_syntax.ljust(len(actual), "\0").encode(), 1)
    return data


def deflated(dicom: bytes) -> bytes:
    """A DICOM file written again with the Deflated Explicit VR Little Endian syntax."""
    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    ds = pydicom.dcmread(io.BytesIO(dicom))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def deflated_dicom(pixels: np.ndarray) -> bytes:
    """`dicom_bytes(pixels)`, deflated."""
    return deflated(dicom_bytes(pixels))


def readable_by_reference(data: bytes) -> bool:
    """An independent judgement: do Pillow or pydicom read a whole picture from these bytes?
    (Of a multi-frame DICOM, the first frame, as the app promises.)"""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        return img.width > 0 and img.height > 0
    except Exception:  # noqa: BLE001 - any failure means "not a readable picture" to Pillow
        pass
    try:
        import pydicom
        from pydicom.pixels import pixel_array

        ds = pydicom.dcmread(io.BytesIO(data), force=data[128:132] != b"DICM")
        if "TransferSyntaxUID" not in ds.file_meta:
            from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

            implicit = bool(ds.original_encoding[0])
            ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        return pixel_array(ds, index=0 if frames > 1 else None).size > 0
    except Exception:  # noqa: BLE001 - any failure means "not a readable picture"
        return False


# --- the corpus -----------------------------------------------------------------------------

def base_files(png_path: Path, jpeg_path: Path) -> dict[str, tuple[str, str, bytes]]:
    """Valid files of every supported kind, from two real X-rays: name -> (ext, type, bytes)."""
    gray = gray_pixels(png_path)
    small = gray_pixels(png_path, side=128)
    img = Image.fromarray(gray)
    sixteen = (gray.astype(np.uint16) * 257)
    return {
        "png": (".png", "image/png", png_path.read_bytes()),
        "jpeg": (".jpg", "image/jpeg", jpeg_path.read_bytes()),
        "dicom": (".dcm", "application/dicom", dicom_bytes(small)),
        "dicom16": (".dcm", "application/dicom", dicom_bytes(small.astype(np.uint16) * 64,
                                                             WindowCenter=8000, WindowWidth=12000)),
        # The compressed syntaxes that X-ray systems export, decoded by GDCM's C++ code: its
        # decoders get the same truncations and flips as Pillow's.
        "dicom_jpeg_lossless": (".dcm", "application/dicom", compress_dicom(
            dicom_bytes(small.astype(np.uint16) * 16, BitsStored=12, HighBit=11), "1.2.840.10008.1.2.4.70")),
        "dicom_jpeg_ls": (".dcm", "application/dicom", compress_dicom(
            dicom_bytes(small.astype(np.uint16) * 16, BitsStored=12, HighBit=11), "1.2.840.10008.1.2.4.80")),
        "png16": (".png", "image/png", encode(Image.fromarray(sixteen), "PNG")),
        "bmp": (".bmp", "image/bmp", encode(img, "BMP")),
        "tiff": (".tif", "image/tiff", encode(img, "TIFF")),
        "cmyk_jpeg": (".jpg", "image/jpeg", encode(img.convert("CMYK"), "JPEG")),
        "palette_png": (".png", "image/png", encode(img.convert("P"), "PNG")),
        "rgba_png": (".png", "image/png", encode(img.convert("RGBA"), "PNG")),
        "la_png": (".png", "image/png", encode(img.convert("LA"), "PNG")),
        "bilevel_png": (".png", "image/png", encode(img.convert("1"), "PNG")),
        "progressive_jpeg": (".jpg", "image/jpeg", encode(img, "JPEG", progressive=True)),
    }


def build_corpus(png_path: Path, jpeg_path: Path, size_limit: int, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    bases = base_files(png_path, jpeg_path)
    cases: list[Case] = []

    def add(name, filename, ctype, data, must_reject=False):
        cases.append(Case(name, filename, ctype, data, must_reject))

    # The valid originals themselves (they must be accepted or refused with a reason).
    for kind, (ext, ctype, data) in bases.items():
        add(f"valid-{kind}", f"xray{ext}", ctype, data)

    # 1. Truncations at many offsets, from the first byte to one byte short.
    for kind, (ext, ctype, data) in bases.items():
        n = len(data)
        offsets = sorted({1, 2, 4, 8, 16, 33, 64, 100, 128, 132, 200, 512, n // 3, n // 2, n - 1}
                         | {rng.randrange(1, n) for _ in range(20)})
        for offset in offsets:
            if 0 < offset < n:
                add(f"truncated-{kind}-{offset}", f"cut{ext}", ctype, data[:offset],
                    must_reject=offset <= 16)

    # 2. Bit flips: one bit, a few bits, or a burst of random bytes, anywhere in the file.
    for kind, (ext, ctype, data) in bases.items():
        for i in range(30):
            mutated = bytearray(data)
            if i % 3 == 0:
                at = rng.randrange(len(data))
                mutated[at] ^= 1 << rng.randrange(8)
            elif i % 3 == 1:
                for _ in range(8):
                    at = rng.randrange(len(data))
                    mutated[at] ^= 1 << rng.randrange(8)
            else:
                at = rng.randrange(max(1, len(data) - 64))
                mutated[at:at + 32] = rng.randbytes(32)
            add(f"flipped-{kind}-{i}", f"flip{ext}", ctype, bytes(mutated))

    # 3. Header fields overwritten: the first 64 bytes (where headers live) mutated hard.
    for kind, (ext, ctype, data) in bases.items():
        for i in range(12):
            mutated = bytearray(data)
            for _ in range(4):
                at = rng.randrange(min(len(data), 400 if kind.startswith("dicom") else 64))
                mutated[at] = rng.randrange(256)
            add(f"header-{kind}-{i}", f"head{ext}", ctype, bytes(mutated))

    # 4. Lying names and types: the bytes decide, never the name.
    png, jpeg, dicom = bases["png"][2], bases["jpeg"][2], bases["dicom"][2]
    lies = [
        ("png-as-dcm", "scan.dcm", "application/dicom", png, False),
        ("dicom-as-png", "scan.png", "image/png", dicom, False),
        ("jpeg-as-png", "scan.png", "image/png", jpeg, False),
        ("png-as-jpg", "scan.jpg", "image/jpeg", png, False),
        ("text-as-jpg", "scan.jpg", "image/jpeg", b"just some text, not a picture\n" * 20, True),
        ("html-as-png", "scan.png", "image/png",
         b"<!doctype html><html><script>alert(document.cookie)</script></html>", True),
        ("svg-as-png", "scan.png", "image/svg+xml",
         b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', True),
        ("pdf-as-jpg", "scan.jpg", "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", True),
        ("zip-as-dcm", "scan.dcm", "application/zip", b"PK\x03\x04" + rng.randbytes(300), True),
        ("exe-as-png", "scan.png", "image/png", b"MZ\x90\x00" + rng.randbytes(500), True),
        ("elf-as-dcm", "scan.dcm", "application/dicom", b"\x7fELF" + rng.randbytes(500), True),
        ("gif-static", "scan.gif", "image/gif", encode(Image.fromarray(gray_pixels(png_path)), "GIF"), True),
        ("webp", "scan.png", "image/png", encode(Image.open(io.BytesIO(png)), "WEBP"), True),
        ("no-extension", "scan", "application/octet-stream", png, False),
        ("double-extension", "scan.png.exe", "application/octet-stream", png, False),
        ("path-in-name", "../../../etc/passwd.png", "image/png", png, False),
        ("unicode-name", "\u202egnp.exe\u0000.png", "image/png", png, False),
        ("very-long-name", "x" * 400 + ".png", "image/png", png, False),
    ]
    for name, filename, ctype, data, reject in lies:
        add(f"lying-{name}", filename, ctype, data, reject)

    # 5. Empty and nearly empty files.
    for filename in ("empty.png", "empty.jpg", "empty.dcm", "empty"):
        add(f"empty-{filename}", filename, "application/octet-stream", b"", True)
    for size in (1, 16, 1024, 100_000):
        add(f"zeros-{size}", "zeros.dcm", "application/dicom", b"\0" * size, True)
        add(f"random-{size}", "random.png", "image/png", rng.randbytes(size), True)
    add("png-signature-only", "sig.png", "image/png", b"\x89PNG\r\n\x1a\n", True)
    add("jpeg-soi-only", "soi.jpg", "image/jpeg", b"\xff\xd8\xff", True)
    add("dicom-preamble-only", "pre.dcm", "application/dicom", b"\0" * 128 + b"DICM", True)

    # 6. Huge declared dimensions and decompression bombs (refused before decoding).
    for width, height in ((100_000, 100_000), (65_535, 65_535), (2**31 - 1, 1), (1, 2**31 - 1),
                          (50_000, 2_000), (0, 100), (100, 0), (0, 0)):
        add(f"png-declares-{width}x{height}", "big.png", "image/png", png_declaring(width, height),
            must_reject=True)
    for width, height in ((65_500, 65_500), (60_000, 1_000), (0, 224)):
        add(f"jpeg-declares-{width}x{height}", "big.jpg", "image/jpeg",
            jpeg_declaring(jpeg, width, height), must_reject=True)
    add("png-bomb-10000", "bomb.png", "image/png", png_bomb(10_000), True)  # 100 MP
    # 42 MP of zeros, under the pixel limit: ~80 KB deflated, 84 MB unpacked.
    add("dicom-deflate-bomb", "bomb.dcm", "application/dicom",
        deflated_dicom(np.zeros((6000, 7000), np.uint16)), True)
    add("png-16bit-declares-huge", "big.png", "image/png",
        png_declaring(40_000, 40_000, bit_depth=16), True)
    bmp = bytearray(bases["bmp"][2])
    bmp[18:26] = struct.pack("<ii", 1_000_000, 1_000_000)
    add("bmp-declares-huge", "big.bmp", "image/bmp", bytes(bmp), True)

    # 7. Animated images: GIF is not supported; an animated PNG is read (first frame).
    frames = [Image.fromarray(gray_pixels(png_path, side=96) // (k + 1)) for k in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    add("animated-gif", "anim.gif", "image/gif", gif.getvalue(), True)
    add("animated-gif-as-png", "anim.png", "image/png", gif.getvalue(), True)
    apng = io.BytesIO()
    frames[0].save(apng, format="PNG", save_all=True, append_images=frames[1:], duration=100)
    add("animated-png", "anim.png", "image/png", apng.getvalue())

    # 8. Polyglots: other formats appended (the picture stays valid) or prepended (it does not).
    payloads = {
        "zip": b"PK\x03\x04\x14\x00" + rng.randbytes(200) + b"PK\x05\x06" + b"\0" * 18,
        "pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n",
        "html": b"<html><body><script>fetch('/api/v1/readings/')</script></body></html>",
        "php": b"<?php system($_GET['c']); ?>",
    }
    for pname, payload in payloads.items():
        for kind in ("png", "jpeg", "dicom"):
            ext, ctype, data = bases[kind]
            add(f"polyglot-{kind}+{pname}", f"poly{ext}", ctype, data + payload)
            add(f"polyglot-{pname}+{kind}", f"poly{ext}", ctype, payload + data, True)

    # 9. DICOM with missing, absurd or contradictory tags.
    small = gray_pixels(png_path, side=128)
    dicom_cases = {
        "rows-0": dict(Rows=0),
        "columns-0": dict(Columns=0),
        "bits-allocated-7": dict(BitsAllocated=7),
        "bits-allocated-0": dict(BitsAllocated=0),
        "bits-stored-over-allocated": dict(BitsStored=16),
        "high-bit-absurd": dict(HighBit=40),
        "no-pixel-data": dict(PixelData=None),
        "no-rows": dict(Rows=None),
        "no-photometric": dict(PhotometricInterpretation=None),
        "photometric-bogus": dict(PhotometricInterpretation="NONSENSE"),
        "samples-3-mono": dict(SamplesPerPixel=3),
        "huge-rows-columns": dict(Rows=65_535, Columns=65_535),
        "rows-columns-product-over-limit": dict(Rows=10_000, Columns=10_000),
        "pixel-data-short": dict(PixelData=small.tobytes()[:1000]),
        "frames-1000-short-data": dict(NumberOfFrames=1000),
        "frames-0": dict(NumberOfFrames=0),
        "window-width-0": dict(WindowCenter=128, WindowWidth=0),
        "window-width-negative": dict(WindowCenter=128, WindowWidth=-50),
        "window-absurd": dict(WindowCenter=1e30, WindowWidth=1e-30),
        "rescale-huge": dict(RescaleSlope=1e300, RescaleIntercept=-1e300),
        "rescale-zero": dict(RescaleSlope=0, RescaleIntercept=0),
        "signed-representation": dict(PixelRepresentation=1),
        "modality-ct": dict(Modality="CT"),
        "lateral-view": dict(ViewPosition="LL"),
        "jpeg2000-declared": dict(TransferSyntaxUID="1.2.840.10008.1.2.4.90"),
        "rle-declared": dict(TransferSyntaxUID="1.2.840.10008.1.2.5"),
        "unknown-transfer-syntax": dict(TransferSyntaxUID="1.2.3.4.5.6.7.8.9.10"),
        "big-endian-declared": dict(TransferSyntaxUID="1.2.840.10008.1.2.2"),
    }
    for name, tags in dicom_cases.items():
        reject = name in ("rows-0", "columns-0", "no-pixel-data", "huge-rows-columns",
                          "rows-columns-product-over-limit", "pixel-data-short", "modality-ct", "lateral-view", "unknown-transfer-syntax")
        add(f"dicom-{name}", "tags.dcm", "application/dicom", dicom_bytes(small, **tags), reject)
    add("dicom-palette-colour", "pal.dcm", "application/dicom",
        dicom_bytes(small, PhotometricInterpretation="PALETTE COLOR"))
    stack = np.stack([small, small[::-1], 255 - small])
    add("dicom-multi-frame", "multi.dcm", "application/dicom", dicom_bytes(stack, frames=3))
    add("dicom-no-preamble", "bare.dcm", "application/dicom", dicom[132:])
    add("dicom-header-only", "header.dcm", "application/dicom", dicom_bytes(None), True)

    # 10. Sizes at and over the upload limit (a valid PNG padded after its end to the size).
    padded = png + b"\0" * (size_limit - len(png))
    add("at-size-limit", "limit.png", "image/png", padded)
    add("one-byte-over-limit", "over.png", "image/png", padded + b"\0", True)
    add("far-over-limit", "over.png", "image/png", padded * 3, True)

    return cases
