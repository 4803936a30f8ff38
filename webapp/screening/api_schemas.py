"""The JSON API's bodies as Pydantic schemas: the OpenAPI document is generated from these.

Field names and meanings are those of API 2.0.0 (the hand-written document this replaced);
`links` of a reading and the paging links are absolute URLs.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

Outcome = Literal["covid", "pneumonia", "normal", "uncertain"]
Label = Literal["covid", "pneumonia", "normal"]
# cxr.inference.decode's formats; "" where an old reading did not keep it.
SourceFormat = Literal["png", "jpeg", "tiff", "bmp", "dicom", ""]


class Warning(Schema):  # noqa: A001 - the API's name for it since 2.0.0
    code: str | None = Field(description="Stable code, e.g. unfamiliar_image (null for warnings "
                                         "of old readings)", examples=["unfamiliar_image"])
    message: str = Field(description="In the request's language")


class ReadingLinks(Schema):
    self: str = Field(description="This reading (GET, DELETE)")
    image: str = Field(description="The X-ray as decoded: grayscale PNG, at most 1024 px")
    thumbnail: str
    heatmap: str
    overlay: str
    report_pdf: str
    page: str = Field(description="The reading's page in the web app")


class Reading(Schema):
    """One stored reading. A screening aid, not a diagnosis: see `disclaimer`."""

    id: int = Field(ge=1, le=2**63 - 1)
    created_at: datetime
    taken_on: date | None = Field(description="The day the X-ray was taken, from its DICOM "
                                  "header (acquisition, content, series or study date); null for "
                                  "PNG and JPEG files or a header without a plausible date. Since 2.4.0.")
    outcome: Outcome = Field(description="'uncertain' when the model gives no label")
    headline: str = Field(description="The outcome in plain words, in the request's language")
    label: Label | None = Field(description="null when uncertain")
    probabilities: dict[str, float] = Field(
        description="Per class, summing to 1. Calibrated on X-rays of the collections the model "
                    "learned from (or of this site, where it serves its own calibration); on X-rays "
                    "from other hospitals they were far too high. They describe the image, not the "
                    "person.")
    heatmap_class: Label | None = Field(
        None, description="The class whose activation the heat map shows: the most probable "
                          "one, also for an uncertain reading (which names no label). null for a "
                          "reading without probabilities. Since 2.5.0.")
    low_confidence: bool = Field(description="true when the X-ray was read but the model "
                                             "gives no label (the same as `uncertain`, its "
                                             "older name)")
    ood_score: float | None = Field(
        description="How unlike the X-rays the model learned from this picture is: the feature "
                    "guard's distance (0 and up, no upper bound; higher is less alike). Pictures "
                    "over the guard's threshold, in the model card, are refused as not a chest "
                    "X-ray, so a stored reading is under it. Not a probability. null for "
                    "readings stored without it.")
    reason: str | None = Field(description="Why no label is given (uncertain readings)")
    uncertain: bool = Field(description="A chest X-ray that was read but gets no label: a "
                                        "radiologist should read it (outcome 'uncertain').")
    prediction_set: list[Label] | None = Field(
        description="The classes the reading's prediction set keeps: sets fitted to contain the "
                    "right class at the target set_confidence, on X-rays from hospitals the model "
                    "never saw, or on this site's own labelled X-rays where it serves its own "
                    "calibration (the warning or reason codes site_calibrated, uncertain_site... "
                    "say so). A class left out of the set is not ruled out. null when the "
                    "installed model has no out-of-source fit (the bundled model today).")
    set_confidence: float | None = Field(
        ge=0, le=1, description="The target the sets were fitted for (e.g. 0.9: aimed to contain "
                                "the right class 90% of the time), from the model card or the "
                                "site's calibration. A target, not a measurement: on hospitals "
                                "the model never saw, such sets contained it less often (the "
                                "measured coverage is on How it works). null without a "
                                "prediction set.")
    warnings: list[Warning] = Field(description="Caveats about this reading (e.g. "
                                                "unfamiliar_image: unlike the training X-rays)")
    model_version: str
    source_format: SourceFormat = Field(description="The uploaded file's format, as decoded "
                                                    "(\"\" for old readings that did not keep it)")
    original_filename: str = Field(
        description='Deprecated: always "". File names are not kept (they often name the '
                    "patient); the field stays for API 2.x clients.",
        json_schema_extra={"deprecated": True})
    width: int = Field(ge=0, description="The uploaded X-ray's width in pixels, as decoded "
                                          "(image.png may be smaller)")
    height: int = Field(ge=0, description="The uploaded X-ray's height in pixels, as decoded")
    disclaimer: str
    emergency: str = Field(description="What to do now in an emergency, whatever the reading "
                                       "says, in the request's language (as every page shows it)")
    patient_reference: str | None = Field(None, description="Doctors' accounts only")
    note: str | None = Field(None, description="Doctors' accounts only")
    links: ReadingLinks


class ReadingPage(Schema):
    """One page of readings, newest first. Follow `next` until it is null."""

    count: int = Field(ge=0, description="Readings in all pages")
    page: int = Field(ge=1)
    pages: int = Field(ge=1)
    next: str | None = Field(description="The next page's URL; null on the last page")
    previous: str | None = Field(description="The previous page's URL; null on the first")
    results: list[Reading]


class ErrorDetail(Schema):
    code: str
    message: str
    advice: list[str] | None = None


class ParameterError(Schema):
    name: str = Field(description="The parameter, e.g. page_size")
    location: Literal["query", "path", "header", "body"]
    message: str


class Problem(Schema):
    """RFC 9457 problem details, with a stable `code`; `error` repeats code and message for
    API 1.x clients."""

    type: str = Field(description="Always about:blank: `code` says what went wrong")
    title: str = Field(description="The HTTP status' phrase")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="For people; may change between versions")
    code: str = Field(description="Stable, for programs", examples=["not_a_chest_xray"])
    errors: list[ParameterError] | None = Field(None, description="The parameters that were "
                                                                  "wrong (400)")
    advice: list[str] | None = Field(None, description="What to upload instead (422)")
    retry_after: int | None = Field(None, description="Seconds to wait (429, 409), as in the "
                                                      "Retry-After header")
    error: ErrorDetail

