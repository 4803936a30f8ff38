"""A DICOM header's PatientID as a reading's patient reference, the same way wherever it is read.

Two paths put a PatientID on a reading: an upload whose owner asks for it (forms.UploadForm) and
a PACS study (webapp/pacs/ingest.py). Both go through `patient_reference`, so that one header
gives one reference whichever way the image came. So does every reference a person types (the
upload form and the API, a reading's annotation, the history's patient filter, the compare
page): one pasted from a hospital system with a zero-width or no-break space in it is kept, and
looked up, as the same reference typed by hand. A PatientID is only unique within the hospital
(IssuerOfPatientID) that gave it: two hospitals' "RSUD-ACC01" are two people, so a header that
names its issuer gives "RSUD-ACC01 (RS-BANDUNG)", which never matches another issuer's, nor an
ID without one. `uploaded_patient_id` reads the PatientID of an uploaded file's header (no
pixels). `reference_key` finds references that differ only in spaces or punctuation.
"""
from __future__ import annotations

import hashlib
import io

REFERENCE_MAX_LENGTH = 64  # the column Reading.patient_reference (and PacsStudy.patient_id)


def patient_reference(value, issuer=None) -> str:
    """A PatientID value, or a typed reference, as it is kept: "" for none; a value pydicom split
    at a backslash (the standard allows one LO value, but pydicom reads "A\\B" as two) joined back
    with "\\", not written as "['A', 'B']"; any white space (tab, no-break space U+00A0, line
    separator...) read as a space; characters that cannot be shown dropped: control characters
    and invisible format characters (Unicode category Cf: zero-width space U+200B, byte-order
    mark U+FEFF, soft hyphen...); runs of spaces made one space, none at either end; at most
    REFERENCE_MAX_LENGTH characters.

    With an `issuer` (the header's IssuerOfPatientID), tidied the same way, the reference is
    "ID (ISSUER)"; one too long for the column is cut and ends with a digest of the whole
    ("... #1a2b3c4d)"), so that IDs or issuers differing past the cut stay apart."""
    text = tidy_reference(_joined(value))
    issuer = tidy_reference(_joined(issuer))
    if not (text and issuer):
        return text[:REFERENCE_MAX_LENGTH]
    qualified = f"{text} ({issuer})"
    if len(qualified) <= REFERENCE_MAX_LENGTH:
        return qualified
    digest = hashlib.sha256(f"{text}\0{issuer}".encode()).hexdigest()[:8]
    tail = f"\u2026 #{digest})"
    return qualified[:REFERENCE_MAX_LENGTH - len(tail)].rstrip() + tail


def _joined(value) -> str:
    """A header value as text: "" for none, a value pydicom split at a backslash joined back."""
    from pydicom.multival import MultiValue

    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(str(part) for part in value)
    return str(value)


def tidy_reference(text: str) -> str:
    """`patient_reference` without the length cut: for typed references, which are refused when
    longer than REFERENCE_MAX_LENGTH once tidied, not cut (forms.py)."""
    # str.isprintable() is false for every Cc, Cf, Cs, Co and Cn character, and for white
    # space other than " ": white space is turned into " " first, so that "RM\u00a0001" keeps
    # its gap ("RM 001") rather than becoming "RM001".
    text = "".join(" " if ch.isspace() else ch for ch in str(text) if ch.isspace() or ch.isprintable())
    return " ".join(text.split())


def reference_key(reference: str) -> str:
    """What is left of a patient reference when case, spaces and punctuation are set aside:
    "RM 001234", "rm-001234" and "RM.001234" give one key. References are never merged by it
    (two patients may differ by a hyphen); it only finds the ones a doctor may want to check."""
    return "".join(ch for ch in reference.casefold() if ch.isalnum())


def uploaded_patient_id(uploaded_file) -> str:
    """The patient reference from an uploaded DICOM file's PatientID, qualified by its
    IssuerOfPatientID when it has one ("" for other files, or when it has none or cannot be
    read); the file is read from its start and left at its start."""
    import zlib

    import pydicom
    from pydicom.errors import InvalidDicomError

    from cxr.inference import ImageError
    from cxr.inference.decode import check_dicom_inflation

    try:
        uploaded_file.seek(0)
        head = uploaded_file.read()
        uploaded_file.seek(0)
        has_preamble = head[128:132] == b"DICM"
        if not has_preamble and head[:2] not in (b"\x02\x00", b"\x08\x00"):
            return ""
        check_dicom_inflation(head)  # pydicom would unpack a deflate bomb whole, in memory
        ds = pydicom.dcmread(io.BytesIO(head), stop_before_pixels=True, force=not has_preamble,
                             specific_tags=["PatientID", "IssuerOfPatientID"])
        return patient_reference(ds.get("PatientID", ""), issuer=ds.get("IssuerOfPatientID", ""))
    except (InvalidDicomError, OSError, ValueError, AttributeError, TypeError, KeyError, ImageError,
            zlib.error):
        return ""  # decoding the image refuses it with the reason
