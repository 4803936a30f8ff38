"""Write-back: the reading of a PACS study goes back into the same study as DICOM, stored with
STOW-RS: a Comprehensive SR (highdicom) with the estimate, each class's probability, the
prediction set, the warnings, the model's name and version and the statement that it is
AI-generated and not a diagnosis; and a Secondary Capture of the heat map over the X-ray.

Their UIDs are derived from the reading's storage key, so a write-back that is repeated (a
worker killed after storing, before recording it) stores the same instances again, which the
PACS keeps once.
"""
from __future__ import annotations

import datetime
import io
import uuid

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.coding import Code

from .ingest import dataset_from_json

MANUFACTURER = "CXR Screening (open source)"
SCHEME = "99CXRSCR"  # this application's private coding scheme (DICOM PS3.16: 99 prefix)
STATEMENT = ("AI-generated screening estimate, not a diagnosis. It does not rule COVID-19, "
             "pneumonia or any other disease in or out; a clinician (and for COVID-19 an RT-PCR "
             "or other approved test) decides.")
SR_SERIES_NUMBER, SC_SERIES_NUMBER = 9901, 9902
SR_DESCRIPTION = "AI screening estimate (not a diagnosis)"
SC_DESCRIPTION = "AI heat map (not a diagnosis)"

CLASS_MEANINGS = {
    "covid": "COVID-19",
    "pneumonia": "Pneumonia (non-COVID)",
    "normal": "Normal (neither)",
}
OUTCOME_MEANINGS = {
    "covid": "Findings consistent with COVID-19 (screening estimate)",
    "pneumonia": "Findings consistent with non-COVID pneumonia (estimate)",
    "normal": "No findings of COVID-19 or pneumonia (screening estimate)",
    "uncertain": "Uncertain: no label given; a radiologist should read the image",
}

ROOT = Code("cxr-ai-estimate", SCHEME, "AI chest X-ray screening estimate")
FINDING = Code("121071", "DCM", "Finding")
ALGORITHM_NAME = Code("111001", "DCM", "Algorithm Name")
ALGORITHM_VERSION = Code("111003", "DCM", "Algorithm Version")
COMMENT = Code("121106", "DCM", "Comment")
PREDICTION_SET = Code("prediction-set", SCHEME, "Classes in the prediction set")
# The level the sets were fitted for: a target, not a measured coverage (SET_LEVEL says both).
SET_CONFIDENCE = Code("set-confidence", SCHEME, "Target coverage of the prediction set")
SET_LEVEL = Code("set-level", SCHEME, "What the prediction set's level means")
WARNING = Code("warning", SCHEME, "Warning")
REASON = Code("no-label-reason", SCHEME, "Why no label is given")
UNITY = Code("1", "UCUM", "no units")


# Header attributes highdicom reads from the image without checking that they are there (DICOM
# type 2: required, but may be empty; some modalities leave them out all the same).
TYPE_2 = ("PatientID", "PatientName", "PatientBirthDate", "PatientSex", "AccessionNumber",
          "StudyID", "StudyDate", "StudyTime", "ReferringPhysicianName")
# Patient and study attributes highdicom does not copy, which a PACS and a viewer use to file and
# show our objects with the X-ray (the issuer tells one hospital's patient IDs from another's).
COPIED = ("IssuerOfPatientID", "IssuerOfPatientIDQualifiersSequence", "OtherPatientIDsSequence",
          "PatientAge", "PatientSize", "PatientWeight", "StudyDescription")


def source_dataset(item: dict) -> Dataset:
    """The image that was read, from its WADO-RS metadata, ready to be copied from: its text
    is Unicode already (DICOM JSON), so it is declared UTF-8 whatever character set the image
    declared (ISO 2022 code extensions do not survive the trip through JSON), and missing type
    2 attributes are present and empty."""
    source = dataset_from_json(item)
    source.SpecificCharacterSet = "ISO_IR 192"
    for keyword in TYPE_2:
        if keyword not in source:
            setattr(source, keyword, "")
    return source


def copy_patient_and_study(target: Dataset, source: Dataset) -> None:
    for keyword in COPIED:
        if keyword in source and source.data_element(keyword).value not in (None, ""):
            target[keyword] = source.data_element(keyword)
    # highdicom dates the object by this server's clock: say which clock, or a viewer in the
    # hospital's time zone shows the wrong hour.
    target.TimezoneOffsetFromUTC = datetime.datetime.now().astimezone().strftime("%z")


def source_image_reference(source: Dataset) -> Sequence:
    item = Dataset()
    item.ReferencedSOPClassUID = source.SOPClassUID
    item.ReferencedSOPInstanceUID = source.SOPInstanceUID
    return Sequence([item])


def set_level_sentences(reading) -> str:
    """In English, what the reading's set was fitted for and how often such sets held the true
    class where that was measured (the words of the reading page: webapp.screening.outcomes),
    ending with "A class left out of the set is not ruled out." "" without a level."""
    from django.utils import translation

    from webapp.screening import outcomes, presentation
    from webapp.screening.engine import model_card

    with translation.override("en"):
        measured = presentation.measured_set_coverage(reading, model_card())
        return outcomes.set_level_text(reading.set_confidence,
                                       presentation.calibrated_at_site(reading), measured)


def reason_and_warnings(reading) -> tuple[str, list[str]]:
    """In English, why no label was given ("" when one was) and each warning, as the pages, the
    PDF and the FHIR report say them: rebuilt from their codes, classes named "COVID-19" and
    "Normal". The stored English texts say "covid" and "normal" (a PACS audit found the SR
    quoting them while the FHIR report beside it did not)."""
    from django.utils import translation

    from webapp.screening import presentation

    with translation.override("en"):
        reason = presentation.reason_text(reading) if reading.uncertain and reading.reason else ""
        return reason, [item["message"] for item in presentation.warning_items(reading) if item["message"]]


def probability_code(name: str) -> Code:
    return Code(f"p-{name}", SCHEME, f"Probability: {CLASS_MEANINGS.get(name, name)}")


def derived_uid(reading, what: str) -> str:
    """A UID of the 2.25 form, the same every time for this reading and `what`."""
    return f"2.25.{uuid.uuid5(reading.storage_key, what).int}"


def model_name(reading) -> str:
    """The name of the model that made `reading`: the installed card's when it made it, else a
    generic name (only the version is stored with a reading; a model swapped since has another)."""
    from webapp.screening.presentation import model_name_of

    return model_name_of(reading) or "cxr-screening model"


def sr_content(reading):
    """The SR's content tree: one root CONTAINER holding CODE, NUM and TEXT items."""
    from highdicom.sr import (
        CodeContentItem,
        ContainerContentItem,
        ContentSequence,
        NumContentItem,
        TextContentItem,
    )

    contains = "CONTAINS"
    outcome = reading.outcome
    items = [
        TextContentItem(COMMENT, STATEMENT, relationship_type=contains),
        CodeContentItem(FINDING, Code(outcome, SCHEME, OUTCOME_MEANINGS.get(outcome, outcome)),
                        relationship_type=contains),
    ]
    for name, probability in reading.sorted_probabilities():
        items.append(NumContentItem(probability_code(name), float(probability), UNITY,
                                    relationship_type=contains))
    if reading.prediction_set is not None:
        classes = ", ".join(CLASS_MEANINGS.get(c, c) for c in reading.prediction_set) or "none"
        items.append(TextContentItem(PREDICTION_SET, classes, relationship_type=contains))
        if reading.set_confidence is not None:
            items.append(NumContentItem(SET_CONFIDENCE, float(reading.set_confidence), UNITY,
                                        relationship_type=contains))
            items.append(TextContentItem(SET_LEVEL, set_level_sentences(reading)[:1024],
                                         relationship_type=contains))
    reason, warnings = reason_and_warnings(reading)
    if reason:
        items.append(TextContentItem(REASON, reason[:1024], relationship_type=contains))
    for text in warnings:
        items.append(TextContentItem(WARNING, text[:1024], relationship_type=contains))
    items += [
        TextContentItem(ALGORITHM_NAME, model_name(reading)[:64], relationship_type=contains),
        TextContentItem(ALGORITHM_VERSION, (reading.model_version or "unknown")[:64],
                        relationship_type=contains),
    ]
    root = ContainerContentItem(ROOT)
    root.ContentSequence = ContentSequence(items)
    return ContentSequence([root], is_root=True)


def structured_report(reading, source: Dataset):
    """The Comprehensive SR of `reading` in the study of `source` (the image that was read)."""
    from highdicom.sr import ComprehensiveSR

    sr = ComprehensiveSR(
        evidence=[source], content=sr_content(reading),
        series_instance_uid=derived_uid(reading, "sr-series"), series_number=SR_SERIES_NUMBER,
        sop_instance_uid=derived_uid(reading, "sr"), instance_number=1,
        manufacturer=MANUFACTURER, is_complete=True, is_final=False, is_verified=False,
        series_description=SR_DESCRIPTION,
    )
    sr.ContentLabel = "AI_ESTIMATE"
    copy_patient_and_study(sr, source)
    return sr


def overlay_pixels(reading) -> np.ndarray:
    """The heat map over the X-ray (RGB uint8) with a burned-in line saying what it is."""
    from PIL import Image, ImageDraw, ImageFont

    from webapp.screening import presentation

    image = Image.open(io.BytesIO(presentation.overlay_png(reading))).convert("RGB")
    band = max(18, image.height // 24)
    canvas = Image.new("RGB", (image.width, image.height + band), (0, 0, 0))
    canvas.paste(image, (0, band))
    try:
        font = ImageFont.load_default(size=max(10, int(band * 0.7)))
    except (TypeError, OSError):  # Pillow without FreeType
        font = ImageFont.load_default()
    ImageDraw.Draw(canvas).text((4, 2), "AI heat map - not a diagnosis", fill=(255, 255, 255),
                                font=font)
    return np.asarray(canvas, dtype=np.uint8)


def secondary_capture(reading, source: Dataset):
    from highdicom.sc import SCImage

    sc = SCImage.from_ref_dataset(
        ref_dataset=source, pixel_array=overlay_pixels(reading),
        photometric_interpretation="RGB", bits_allocated=8, coordinate_system="PATIENT",
        series_instance_uid=derived_uid(reading, "sc-series"), series_number=SC_SERIES_NUMBER,
        sop_instance_uid=derived_uid(reading, "sc"), instance_number=1,
        manufacturer=MANUFACTURER,
        patient_orientation=tuple(getattr(source, "PatientOrientation", None) or ("R", "F")),
        transfer_syntax_uid="1.2.840.10008.1.2.1",
    )
    sc.SeriesDescription = SC_DESCRIPTION
    sc.BurnedInAnnotation = "YES"
    sc.ImageComments = STATEMENT
    sc.DerivationDescription = f"Class activation map of {model_name(reading)} {reading.model_version}"
    sc.SourceImageSequence = source_image_reference(source)  # the X-ray under the heat map
    copy_patient_and_study(sc, source)
    return sc


class NotKept(Exception):
    """The PACS answered the store (2xx) but does not hold what was sent."""


def write_back(study, web) -> tuple[str, str]:
    """Store the SR and the secondary capture of `study`'s reading in its study (STOW-RS) and
    check that the PACS holds them. Returns their SOP Instance UIDs; NotKept when it does not."""
    uid = study.study_instance_uid
    source = source_dataset(web.retrieve_instance_metadata(
        uid, study.series_instance_uid, study.sop_instance_uid))
    sr = structured_report(study.reading, source)
    sc = secondary_capture(study.reading, source)
    answer = web.store_instances([sr, sc], study_instance_uid=uid)
    check_kept(web, uid, {"the SR": str(sr.SOPInstanceUID), "the heat map's capture": str(sc.SOPInstanceUID)},
               answer)
    return str(sr.SOPInstanceUID), str(sc.SOPInstanceUID)


def check_kept(web, study_uid: str, sent: dict[str, str], answer) -> None:
    """Raise NotKept unless the PACS holds each instance `sent` ({what: SOP Instance UID}).

    A 2xx answer is not enough (a PACS audit): a proxy that drops a large (chunked) upload's body
    gets 200 from Orthanc with nothing stored, and a PACS filter refused the secondary capture
    after Orthanc's answer had listed it; the study was marked written with UIDs the PACS did not
    have, and nothing tried again. So the answer must name no instance as failed and, where it
    lists what was stored (its Referenced SOP Sequence), list each one; and a search of the study
    (QIDO-RS) must find each one, which also checks a PACS whose answer lists nothing."""
    def uids(name: str) -> set[str]:
        items = (getattr(answer, name, None) or []) if answer is not None else []
        return {str(getattr(item, "ReferencedSOPInstanceUID", "")) for item in items}

    stored, failed = uids("ReferencedSOPSequence"), uids("FailedSOPSequence")
    missing = [what for what, uid in sent.items() if uid in failed or (stored and uid not in stored)]
    if not missing:
        missing = [what for what, uid in sent.items()
                   if not web.search_for_instances(study_instance_uid=study_uid,
                                                   search_filters={"SOPInstanceUID": uid})]
    if missing:
        raise NotKept(f"the PACS answered the store but does not hold {' and '.join(missing)}")
