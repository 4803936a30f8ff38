"""Compressed DICOM files made with GDCM from uncompressed ones, for the decoder's tests and
bench/inference.py.

pydicom encodes only RLE, JPEG-LS and JPEG 2000 (with optional plugins); GDCM (`python-gdcm`,
a runtime dependency for decoding) also encodes the JPEG Lossless syntaxes that CR and DX
systems export most, so the tests can build every syntax the app promises to read. Nothing in
the app imports this module: it needs only pydicom and python-gdcm, both runtime dependencies.
"""
from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import gdcm

# Transfer syntax UID -> GDCM's name for it.
LOSSLESS_SYNTAXES = {
    "1.2.840.10008.1.2.4.70": gdcm.TransferSyntax.JPEGLosslessProcess14_1,  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.57": gdcm.TransferSyntax.JPEGLosslessProcess14,
    "1.2.840.10008.1.2.4.80": gdcm.TransferSyntax.JPEGLSLossless,
    "1.2.840.10008.1.2.4.90": gdcm.TransferSyntax.JPEG2000Lossless,
    "1.2.840.10008.1.2.5": gdcm.TransferSyntax.RLELossless,
}
JPEG_EXTENDED_12BIT = "1.2.840.10008.1.2.4.51"


def compress_dicom(data: bytes, syntax_uid: str) -> bytes:
    """`data` (an uncompressed DICOM file) re-encoded in the transfer syntax `syntax_uid`."""
    syntax = LOSSLESS_SYNTAXES.get(syntax_uid)
    if syntax is None and syntax_uid == JPEG_EXTENDED_12BIT:
        syntax = gdcm.TransferSyntax.JPEGExtendedProcess2_4
    if syntax is None:
        raise ValueError(f"no GDCM encoder chosen for {syntax_uid}")
    with TemporaryDirectory() as tmp:
        source, target = Path(tmp, "in.dcm"), Path(tmp, "out.dcm")
        source.write_bytes(data)
        reader = gdcm.ImageReader()
        reader.SetFileName(str(source))
        if not reader.Read():
            raise ValueError("GDCM cannot read the uncompressed file")
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(syntax))
        change.SetInput(reader.GetImage())
        if not change.Change():
            raise ValueError(f"GDCM cannot encode {syntax_uid}")
        writer = gdcm.ImageWriter()
        writer.SetFileName(str(target))
        writer.SetFile(reader.GetFile())
        writer.SetImage(change.GetOutput())
        if not writer.Write():
            raise ValueError("GDCM cannot write the compressed file")
        return target.read_bytes()
