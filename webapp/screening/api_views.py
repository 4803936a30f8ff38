"""The JSON API (/api/v1/) on django-ninja: the same rules as the pages, for programs.

Each operation below is a typed function; django-ninja builds the OpenAPI document from the
signatures and the Pydantic schemas (api_schemas.py), and openapi.py adds what type hints cannot
say (problem responses, links between operations, the 3.0 dialect). Authentication is
api_auth.TokenAuth; errors are problems (api_problems.py); uploads go through screen_upload,
exactly as on the upload page, and an Idempotency-Key makes them safe to retry
(api_idempotency.py).
"""
from __future__ import annotations

from typing import Annotated, Literal

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Header, NinjaAPI, Path, Query, Schema, Status
from ninja.errors import ValidationError
from pydantic import BeforeValidator

from . import (
    api_idempotency,
    batches,
    converters,
    openapi,
    outcomes,
    presentation,
    report_pdf,
    storage,
)
from .access import (
    StoredFileMissing,
    get_own_batch_or_404,
    get_own_reading_or_404,
    private_headers,
    private_png_bytes,
    private_png_file,
    stored_images_present,
)
from .api_auth import TokenAuth
from .api_problems import ApiProblem, from_exception, problem_response
from .api_schemas import ErrorDetail, Reading, ReadingPage
from .forms import is_doctor
from .patient_ids import REFERENCE_MAX_LENGTH
from .screen import UploadRefused, refuse_oversized_body

API_VERSION = "2.5.0"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_BATCH_FILES = 10
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,200}$"  # 1-200 visible ASCII characters

PARAMETER_RULES = {
    "page": "page must be a whole number of 1 or more.",
    "page_size": f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}.",
    "Idempotency-Key": "Idempotency-Key must be 1 to 200 visible ASCII characters.",
}


def _whole_number(value):
    """Query values as ASCII digits only: "+5", " 5", "5.0", "1_0", "" and other digits are
    refused (400), never read leniently, clamped or taken as absent."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError("not a whole number")
        return int(value)  # ValueError past sys.get_int_max_str_digits: refused too
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
ReadingId = Annotated[int, Path(ge=converters.MIN_ID, le=converters.MAX_ID,
                                 description="The reading's id (a database key)")]

BatchId = Annotated[int, Path(ge=converters.MIN_ID, le=converters.MAX_ID,
                               description="The batch's id (a database key)")]

AUTH = TokenAuth()
api = NinjaAPI(
    title="Chest X-ray screening API",
    version=API_VERSION,
    description=openapi.DESCRIPTION,
    urls_namespace="api",
    openapi_url=None,  # served by get_openapi below, so that it is part of the document
    docs_url=None,  # the interactive docs are a page of their own (api_docs.py)
    auth=AUTH,
)


# --- errors ---------------------------------------------------------------------------------------

@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return from_exception(request, exc)


@api.exception_handler(UploadRefused)
def _refused(request, refusal: UploadRefused):
    return problem_response(request, refusal.status, refusal.code, refusal.message,
                            advice=list(refusal.advice) or None)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(request, 404, "not_found", "No such reading.")


@api.exception_handler(StoredFileMissing)
def _file_missing(request, exc):
    # The reading is there (GET /readings/{id}/ answers 200): "no such reading" would mislead.
    return problem_response(request, 404, "file_missing", "This reading exists, but its file is "
                            "missing from the server's storage; the error is logged for the "
                            "operator. Its other files and the reading itself may still be there.")


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        where, name = (list(error.get("loc", ())) + ["", ""])[:2]
        name = str(name)
        errors.append({"location": where, "name": name,
                       "message": PARAMETER_RULES.get(name) or str(error.get("msg", "invalid"))})
    detail = errors[0]["message"] if errors else "The request's parameters are not valid."
    return problem_response(request, 400, "bad_request", detail, errors=errors)


@api.exception_handler(Exception)
def _crash(request, exc):
    raise exc  # Django logs it and answers 500; ApiErrorMiddleware makes that a problem


def api_error(status: int, code: str, message: str, headers: dict | None = None, request=None):
    """A problem response (kept for webapp.views.page_not_found and API 1.x callers)."""
    return problem_response(request, status, code, message, headers)


# --- readings -------------------------------------------------------------------------------------

def reading_json(request, reading) -> dict:
    def link(name: str) -> str:
        return request.build_absolute_uri(reverse(name, args=[reading.pk]))

    data = {
        "id": reading.pk,
        "created_at": reading.created_at,
        "taken_on": reading.taken_on,
        "outcome": reading.outcome,
        "headline": outcomes.headline(reading.outcome),
        "label": reading.label if reading.outcome == reading.label else None,
        "probabilities": reading.probabilities,
        # The heat map is the activation map of the most probable class (cxr.inference's
        # heatmap_class), also for an uncertain reading, which names no label.
        "heatmap_class": (max(reading.probabilities, key=reading.probabilities.get)
                          if reading.probabilities else None),
        "low_confidence": reading.low_confidence,
        "ood_score": reading.ood_score,
        "reason": presentation.reason_text(reading) or None,
        "uncertain": reading.uncertain,
        "prediction_set": reading.prediction_set,
        "set_confidence": reading.set_confidence,
        "warnings": presentation.warning_items(reading),
        "model_version": reading.model_version,
        "source_format": reading.source_format,
        "original_filename": reading.original_filename,  # deprecated: always ""
        "width": reading.image_width,
        "height": reading.image_height,
        "disclaimer": str(outcomes.DISCLAIMER),
        "emergency": str(outcomes.EMERGENCY),
        "links": {
            "self": link("api:reading"),
            "image": link("api:image"),
            "thumbnail": link("api:thumbnail"),
            "heatmap": link("api:heatmap"),
            "overlay": link("api:overlay"),
            "report_pdf": link("api:report_pdf"),
            "page": link("screening:detail"),
        },
    }
    if is_doctor(reading.owner):
        data["patient_reference"] = reading.patient_reference
        data["note"] = reading.note
    return data


@api.get("/readings/", url_name="readings", operation_id="listReadings", exclude_unset=True,
         response={200: ReadingPage}, summary="Your readings, newest first",
         openapi_extra=openapi.operation("listReadings"))
def list_readings(request, response: HttpResponse,
                  page: WholeNumber = Query(1, ge=1, description="From 1"),  # noqa: B008
                  page_size: WholeNumber = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):  # noqa: B008
    queryset = request.user.readings.select_related("owner").order_by("-created_at", "-id")
    paginator = Paginator(queryset, page_size)
    try:
        current = paginator.page(page)
    except EmptyPage:
        raise ApiProblem(404, "not_found", f"There is no page {page}.") from None

    def page_link(number: int) -> str:
        return request.build_absolute_uri(f"{reverse('api:readings')}?page={number}&page_size={page_size}")

    links = {"next": page_link(current.next_page_number()) if current.has_next() else None,
             "previous": page_link(current.previous_page_number()) if current.has_previous() else None}
    # The same links as an RFC 8288 Link header, for clients that page by headers.
    rels = [f'<{url}>; rel="{"prev" if rel == "previous" else rel}"' for rel, url in links.items() if url]
    if rels:
        response["Link"] = ", ".join(rels)
    private_headers(response)
    return {"count": paginator.count, "page": current.number, "pages": paginator.num_pages,
            **links, "results": [reading_json(request, r) for r in current]}


def _uploaded_files(request, field: str) -> list:
    """The files of a multipart field, with the body's size checked before Django parses it."""
    refuse_oversized_body(request, several=field == "images")
    try:
        return request.FILES.getlist(field)
    except (MultiPartParserError, TooManyFilesSent):
        raise ApiProblem(400, "bad_request", "The body is not valid multipart/form-data (or "
                         "holds too many files).") from None
    except RequestDataTooBig:
        raise ApiProblem(413, "too_large", "The request body is too large.") from None


def _created(request, response, reading, replayed: bool) -> dict:
    private_headers(response)
    response["Location"] = request.build_absolute_uri(reverse("api:reading", args=[reading.pk]))
    response["Idempotent-Replayed"] = "true" if replayed else "false"
    return reading_json(request, reading)


IdempotencyKey = Header(None, alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
                        description="Any unique string (e.g. a UUID) per upload: a retry with "
                                    "the same key and the same file answers the same reading "
                                    "(201, Idempotent-Replayed: true) and never makes a second.")


REFERENCE_RULE = (f"patient_reference: at most {REFERENCE_MAX_LENGTH} characters, counted after "
                  "invisible characters are dropped and white space runs made one space.")

# A boolean form field as OpenAPI clients write it ("" as absent). Django's BooleanField would
# read any other text but "0" as true ("off", "{}"), so the API refuses the rest.
BOOLEAN_TEXTS = frozenset({"", "true", "false"})


def _reference_form(request):
    """The upload's patient_reference / reference_from_dicom, cleaned as the web form cleans
    them (forms.UploadForm); None when the request gives neither. Only a verified doctor's
    account keeps a reference: anyone else who sends one is refused (403), not silently ignored,
    and nothing is stored. Called after the body is parsed and before anything is screened."""
    from .forms import UploadForm

    flag = request.POST.get("reference_from_dicom", "")
    if flag.lower() not in BOOLEAN_TEXTS:
        raise ApiProblem(400, "invalid_reference", "reference_from_dicom: send true or false.")
    form = UploadForm(request.POST)
    if not form.is_valid():
        # The form also bounds the text as sent (room for invisible characters, tidied away):
        # its "at most 256 characters" is not the rule a client must keep, the 64 after tidying.
        raise ApiProblem(400, "invalid_reference", " ".join(
            REFERENCE_RULE if name == "patient_reference" else f"{name}: {error}"
            for name, errors in form.errors.items() for error in errors[:1]))
    if not (form.cleaned_data.get("patient_reference", "").strip()
            or form.cleaned_data.get("reference_from_dicom")):
        return None
    if not is_doctor(request.user):
        raise ApiProblem(403, "reference_for_doctors", "Only a verified doctor's account keeps a "
                         "patient reference: send the upload without patient_reference and "
                         "reference_from_dicom.")
    return form


@api.post("/readings/", url_name="readings", operation_id="createReading", exclude_unset=True,
          response={201: Reading}, summary="Screen one X-ray and store the reading",
          openapi_extra=openapi.operation("createReading"))
def create_reading(request, response: HttpResponse, idempotency_key: str | None = IdempotencyKey):
    files = _uploaded_files(request, "image")
    if not files:
        raise ApiProblem(400, "no_file", "Send the X-ray as the multipart field 'image'.")
    if len(files) > 1:  # reading the first and dropping the rest silently lost X-rays
        raise ApiProblem(400, "too_many_files", "This route reads one X-ray; send several as the field "
                         "'images' to POST /api/v1/readings/batch/.")
    form = _reference_form(request)
    reading, replayed = api_idempotency.screen_once(request.user, files[0], idempotency_key)
    # A replay answers the first request's reading as it was: its reference is not rewritten.
    reference = form.reference_for(files[0]) if form is not None and not replayed else ""
    if reference:
        type(reading).objects.filter(pk=reading.pk).update(patient_reference=reference)
        reading.patient_reference = reference
    return _created(request, response, reading, replayed)


class BatchProblem(Schema):
    """A refused file's problem: the one a single upload of the file answers (Problem), with
    `advice` null rather than absent when there is none."""

    type: str = Field(description="Always about:blank: `code` says what went wrong")
    title: str = Field(description="The HTTP status' phrase")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="For people, in the request's language")
    code: str = Field(description="Stable, for programs", examples=["not_a_chest_xray"])
    advice: list[str] | None = Field(None, description="What to upload instead "
                                                       "(not_a_chest_xray)")
    error: ErrorDetail


class BatchFile(Schema):
    index: int = Field(ge=0, description="The file's place in the request, from 0")
    state: Literal["queued", "reading", "done", "refused"]
    reading_id: int | None = Field(None, description="The reading, once done; null again if it was "
                                   "deleted since (reading_deleted)")
    reading_url: str | None = None
    reading_deleted: bool = Field(False, description="Read, and the reading has since been deleted "
                                  "by its owner: it is gone for good")
    problem: BatchProblem | None = Field(None, description="Why no reading (state refused): the "
                                    "problem a single upload of the file would have answered "
                                    "(type, title, status, detail, code, advice, error)")


class BatchStatus(Schema):
    id: int
    state: Literal["running", "finished"]
    total: int = Field(ge=0)
    queued: int = Field(ge=0)
    reading: int = Field(ge=0)
    done: int = Field(ge=0)
    refused: int = Field(ge=0)
    status_url: str = Field(description="This batch's status: poll it until state is finished")
    items: list[BatchFile]


@api.post("/readings/batch/", url_name="readings_batch", operation_id="createReadings",
          response={202: BatchStatus},
          summary="Queue several X-rays in one request; each is read by the job queue",
          openapi_extra=openapi.operation("createReadings"))
def create_readings(request, response: HttpResponse, idempotency_key: str | None = IdempotencyKey):
    files = _uploaded_files(request, "images")
    if not files:
        raise ApiProblem(400, "no_file", "Send the X-rays as the multipart field 'images' "
                         "(repeated, one part per file).")
    if len(files) > MAX_BATCH_FILES:
        raise ApiProblem(400, "too_many_files",
                         f"Send at most {MAX_BATCH_FILES} files in one request.")
    form = _reference_form(request)
    # As the web form's batch: the one reference for every file (or each DICOM file's PatientID).
    references = [form.reference_for(f) for f in files] if form is not None else None
    batch, replayed = batches.create_batch(request.user, files, references,
                                           idempotency_key=idempotency_key or "")
    body = batches.status(batch, request, api=True)
    private_headers(response)
    response["Location"] = body["status_url"]
    response["Idempotent-Replayed"] = "true" if replayed else "false"
    return Status(202, body)


@api.get("/batches/{id}/", url_name="batch", operation_id="getBatch", response={200: BatchStatus},
         summary="A batch's progress: each file queued, reading, done or refused",
         openapi_extra=openapi.operation("getBatch"))
def get_batch(request, response: HttpResponse, id: BatchId):  # noqa: A002
    try:
        batch = get_own_batch_or_404(request, id)
    except Http404:  # another user's batch too: ids cannot be probed
        raise ApiProblem(404, "not_found", "No such batch.") from None
    private_headers(response)
    return batches.status(batch, request, api=True)


@api.get("/readings/{id}/", url_name="reading", operation_id="getReading", exclude_unset=True,
         response={200: Reading}, summary="One reading", openapi_extra=openapi.operation("getReading"))
def get_reading(request, response: HttpResponse, id: ReadingId):  # noqa: A002 - documented name
    private_headers(response)
    return reading_json(request, get_own_reading_or_404(request, id))


@api.delete("/readings/{id}/", url_name="reading", operation_id="deleteReading",
            response={204: None}, summary="Delete a reading and its images",
            openapi_extra=openapi.operation("deleteReading"))
def delete_reading(request, id: ReadingId):  # noqa: A002
    storage.delete_reading(get_own_reading_or_404(request, id))
    return private_headers(HttpResponse(status=204))


@api.get("/readings/{id}/image.png", url_name="image", operation_id="getReadingImage",
         summary="The X-ray as decoded (grayscale PNG, at most 1024 px, no metadata)",
         openapi_extra=openapi.operation("getReadingImage"))
def image(request, id: ReadingId):  # noqa: A002
    return private_png_file(get_own_reading_or_404(request, id).original_path)


@api.get("/readings/{id}/thumbnail.png", url_name="thumbnail", operation_id="getReadingThumbnail",
         summary="A small copy of the X-ray (PNG, at most 256 px)",
         openapi_extra=openapi.operation("getReadingThumbnail"))
def thumbnail(request, id: ReadingId):  # noqa: A002
    return private_png_file(get_own_reading_or_404(request, id).thumbnail_path)


@api.get("/readings/{id}/heatmap.png", url_name="heatmap", operation_id="getReadingHeatmap",
         summary="The class activation map (transparent RGBA PNG: stretch it over image.png)",
         openapi_extra=openapi.operation("getReadingHeatmap"))
def heatmap(request, id: ReadingId):  # noqa: A002
    return private_png_file(get_own_reading_or_404(request, id).heatmap_path)


@api.get("/readings/{id}/overlay.png", url_name="overlay", operation_id="getReadingOverlay",
         summary="The heat map laid over the X-ray (RGB PNG)",
         openapi_extra=openapi.operation("getReadingOverlay"))
def overlay(request, id: ReadingId):  # noqa: A002
    reading = get_own_reading_or_404(request, id)
    with stored_images_present():
        return private_png_bytes(presentation.overlay_png(reading))


@api.get("/readings/{id}/report.pdf", url_name="report_pdf", operation_id="getReadingReport",
         summary="Printable report (PDF)", openapi_extra=openapi.operation("getReadingReport"))
def report(request, id: ReadingId):  # noqa: A002
    reading = get_own_reading_or_404(request, id)
    return report_pdf.response(reading, request)  # a lost picture is said in words in it


@api.get("/readings/{id}/fhir", url_name="fhir", operation_id="getReadingFhir",
         summary="The reading as a FHIR R4 DiagnosticReport (an Observation per class)",
         openapi_extra=openapi.operation("getReadingFhir"))
def fhir(request, id: ReadingId):  # noqa: A002
    from django.http import JsonResponse

    from webapp.pacs.fhir import MEDIA_TYPE, diagnostic_report

    report = diagnostic_report(get_own_reading_or_404(request, id))
    # The media type names the FHIR version, as a FHIR server expects to read it.
    response = JsonResponse(report, content_type=MEDIA_TYPE)
    response["Content-Language"] = "en"  # in English whoever asks (LocaleMiddleware keeps it)
    return private_headers(response)


@api.get("/openapi.json", url_name="openapi", operation_id="getOpenApi", auth=None,
         summary="This document (OpenAPI 3.0)", openapi_extra=openapi.operation("getOpenApi"))
def get_openapi(request):
    from django.http import JsonResponse

    response = JsonResponse(openapi.document(api))
    response["Content-Language"] = "en"  # written in English whoever asks
    return response


# --- how django-ninja's views are mounted (api_urls.py) ------------------------------------------

def endpoint(ninja_view):
    """One API route's view around django-ninja's: ids arrive as `pk` from the <id:pk> converter
    (which the audit log reads) and are passed on as `id`; HEAD is answered like GET without a
    body; a method the route does not take is a 405 problem whose Allow header lists HEAD too."""

    @csrf_exempt  # POST and DELETE never accept a session, only a key (api_auth.py)
    @login_not_required  # the API answers 401 itself, never a login redirect
    def view(request, **kwargs):
        if "pk" in kwargs:
            kwargs["id"] = kwargs.pop("pk")
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = ninja_view(request, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        if response.status_code == 405 and response.has_header("Allow"):
            try:  # who asks comes first: a stranger learns nothing about a route's methods
                AUTH(request)
            except ApiProblem as problem:
                return from_exception(request, problem)
            allowed = {m.strip() for m in response["Allow"].split(",") if m.strip()}
            if "GET" in allowed:
                allowed.add("HEAD")
            allow = ", ".join(sorted(allowed))
            return problem_response(request, 405, "method_not_allowed",
                                    f"{request.method} is not allowed here; use {allow}.",
                                    {"Allow": allow})
        if head and not getattr(response, "streaming", False):
            response.content = b""
        return response

    return view


@csrf_exempt
@login_not_required
def not_found(request, rest: str = ""):
    """Anything else under /api/v1/ (an impossible id, a path with a newline, a typo)."""
    return problem_response(request, 404, "not_found", "No such API route; see /api/v1/openapi.json.")
