"""The engine's sentences as the command line says them.

cxr.inference.notices words its refusals and errors for the web app's users ("Please upload the
original X-ray file"); at the command line a person names files, so the same notices, by code,
are said with the command line's verb here ("Use the original X-ray file"). The web app's text is
unchanged; a notice without a wording of its own here is printed as the engine says it. A test
keeps every engine sentence that asks for an upload covered.
"""
from __future__ import annotations

from cxr.inference.notices import ENGLISH

# Only the part that asks for an upload differs from the engine's sentence.
_REWORDED = {
    "not_cxr_tinted": ("Please upload the original X-ray file.", "Use the original X-ray file."),
    "not_cxr_camera_photo": ("Please upload the X-ray's own image file", "Use the X-ray's own image file"),
    "not_cxr_camera_photo_unnamed": ("Please upload the X-ray's own image file", "Use the X-ray's own image file"),
    "not_cxr_verifier": ("Please upload the original X-ray file.", "Use the original X-ray file."),
    "not_cxr_orientation": ("Please upload it upright", "Turn it upright"),
    "jpeg_strongly_compressed": ("upload the original DICOM or PNG", "use the original DICOM or PNG"),
    "format_not_supported": ("please upload {supported}", "use {supported}"),
    "heic_not_supported": ("please upload {supported}", "use {supported}"),
    "not_an_image": ("please upload {supported}", "use {supported}"),
}
COMMAND_LINE_ENGLISH = {code: ENGLISH[code].replace(web, here) for code, (web, here) in _REWORDED.items()}


def cli_text(notice) -> str:
    """A notice (cxr.inference.notices.Notice, or any text) as the command line says it; "" for
    None."""
    if notice is None:
        return ""
    code, params = getattr(notice, "code", None), getattr(notice, "params", None)
    if code in COMMAND_LINE_ENGLISH and params is not None:
        return COMMAND_LINE_ENGLISH[code].format(**params)
    return str(notice)
