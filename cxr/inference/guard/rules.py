"""The guard's first layer: cheap checks on the decoded picture, each with a plain reason.

Too small, blank or nearly uniform, strongly coloured (photos, charts), tinted all over (a phone
photo of a screen or of a film on a lightbox), taken with a camera as its EXIF records (a photo of
a film or screen however grey), or a DICOM whose header names another modality or a lateral view. These need no network, so they run before it.
"""
from __future__ import annotations

from cxr.inference.decode import DecodedImage
from cxr.inference.notices import Notice

MIN_SIDE = 64  # px; the smallest training images are about 200 px
MIN_STD = 4.0  # grey levels; a radiograph has far more contrast than this
MAX_COLOUR_FRACTION = 0.10  # coloured arrows or labels on an X-ray stay well below this
# Grey levels of colour cast. A grey X-ray saved as RGB PNG or JPEG measures exactly 0, and every
# one of the 7,516 X-rays in ../shared is grey; 3 levels leaves room for colour-managed exports
# without asking a photo's white balance to be far off. Set from real X-rays alone, never from
# the negatives it is measured on (docs/results/guard_families.md).
MAX_COLOUR_TINT = 3.0
RADIOGRAPH_MODALITIES = {"", "CR", "DX", "DR", "RG", "OT", "PX", "XR"}
LATERAL_VIEWS = {"LL", "RL", "LAT", "LATERAL", "LLD", "RLD"}


def explained_refusal(decoded: DecodedImage) -> Notice | None:
    """A plain-language reason to refuse the picture without asking the network, or None."""
    gray = decoded.gray
    height, width = gray.shape
    if min(height, width) < MIN_SIDE:
        return Notice("not_cxr_too_small", width=width, height=height)
    step = max(1, max(height, width) // 256)
    if float(gray[::step, ::step].std()) < MIN_STD:
        return Notice("not_cxr_blank")
    if decoded.colour_fraction > MAX_COLOUR_FRACTION:
        return Notice("not_cxr_colour", percent=round(100 * decoded.colour_fraction))
    if decoded.colour_tint > MAX_COLOUR_TINT:
        return Notice("not_cxr_tinted")
    if decoded.camera is not None:  # a photo of a film or a screen, whatever it shows
        return (Notice("not_cxr_camera_photo", camera=decoded.camera) if decoded.camera
                else Notice("not_cxr_camera_photo_unnamed"))
    modality = decoded.dicom.get("Modality", "")
    if modality not in RADIOGRAPH_MODALITIES:
        return Notice("not_cxr_modality", modality=modality)
    view = decoded.dicom.get("ViewPosition", "")
    if view in LATERAL_VIEWS:
        return Notice("not_cxr_lateral", view=view)
    return None


def dicom_warnings(decoded: DecodedImage) -> list[Notice]:
    body_part = decoded.dicom.get("BodyPartExamined", "")
    if body_part and body_part not in ("CHEST", "THORAX", "LUNG", "LUNGS"):
        return [Notice("dicom_body_part", body_part=body_part)]
    return []
