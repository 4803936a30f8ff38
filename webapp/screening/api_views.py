"""The JSON API (/api/v1/): the same rules as the pages, for programs.

Authentication: `Authorization: Token <key>` (key from the "API key" page), or, for GET only,
the browser session. Session cookies are never accepted for POST/DELETE, which is why these
views need no CSRF token. Errors are {"error": {"code": ..., "message": ...}}.
"""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import outcomes, presentation, report_pdf, storage
from .access import get_own_reading_or_404, private_headers, private_png_bytes, private_png_file
from .forms import is_doctor
from .models import ApiToken
from .openapi import schema
from .screen import UploadRefused, refuse_oversized_body, screen_upload

SAFE_METHODS = ("GET", "HEAD")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def api_error(status: int, code: str, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return private_headers(response)


def _token_from_header(request) -> str | None:
    """The key of an `Authorization: Token <key>` header; "" for a malformed one; None if absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, key = header.strip().partition(" ")
    return key.strip() if scheme.lower() == "token" else ""


def _api_user(request):
    key = _token_from_header(request)
    if key is not None:
        return ApiToken.user_for_key(key)
    if request.method in SAFE_METHODS and request.user.is_authenticated:
        return request.user
    return None


def api_endpoint(*methods: str, public: bool = False):
    """Method check, authentication and JSON errors around an API view."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                return api_error(405, "method_not_allowed",
                                 f"{request.method} is not allowed here.",
                                 {"Allow": ", ".join(sorted(allowed))})
            if not public:
                user = _api_user(request)
                if user is None:
                    return api_error(401, "not_authenticated",
                                     "Send 'Authorization: Token <key>' with a valid API key "
                                     "(GET also accepts a logged-in session).",
                                     {"WWW-Authenticate": "Token"})
                request.user = user
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return api_error(404, "not_found", "No such reading.")

        return csrf_exempt(login_not_required(wrapper))

    return decorate


def reading_json(request, reading) -> dict:
    def link(name: str) -> str:
        return request.build_absolute_uri(reverse(name, args=[reading.pk]))

    data = {
        "id": reading.pk,
        "created_at": reading.created_at.isoformat(),
        "outcome": reading.outcome,
        "headline": outcomes.headline(reading.outcome),
        "label": reading.label if reading.outcome == reading.label else None,
        "probabilities": reading.probabilities,
        "low_confidence": reading.low_confidence,
        "ood_score": reading.ood_score,
        "reason": presentation.reason_text(reading) or None,
        "uncertain": reading.uncertain,
        "prediction_set": reading.prediction_set,
        "set_confidence": reading.set_confidence,
        "warnings": presentation.warning_items(reading),
        "model_version": reading.model_version,
        "source_format": reading.source_format,
        "original_filename": reading.original_filename,
        "width": reading.image_width,
        "height": reading.image_height,
        "disclaimer": str(outcomes.DISCLAIMER),
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


def _int_parameter(request, name: str, default: int, maximum: int | None = None) -> int:
    """The query parameter `name`: absent -> default; else ASCII digits within 1..maximum.

    Anything else (empty, signed, spaced, fractional, over the maximum) raises ValueError with a
    message naming the parameter: refused, never clamped or defaulted, so a client that asked
    for 101 rows learns that it gets at most 100.
    """
    if name not in request.GET:
        return default
    value = request.GET[name]
    bounds = f"from 1 to {maximum}" if maximum is not None else "of 1 or more"
    problem = ValueError(f"{name} must be a whole number {bounds}.")
    if not (value.isascii() and value.isdigit()):
        raise problem
    try:
        number = int(value)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise problem from None
    if number < 1 or (maximum is not None and number > maximum):
        raise problem
    return number


@api_endpoint("GET", "POST")
def readings(request):
    if request.method == "POST":
        return _create_reading(request)
    try:
        page_number = _int_parameter(request, "page", 1)
        page_size = _int_parameter(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    except ValueError as problem:
        return api_error(400, "bad_request", str(problem))
    queryset = request.user.readings.select_related("owner").order_by("-created_at", "-id")
    paginator = Paginator(queryset, page_size)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        return api_error(404, "not_found", f"There is no page {page_number}.")

    def page_link(number: int) -> str:
        return request.build_absolute_uri(f"{reverse('api:readings')}?page={number}&page_size={page_size}")

    return private_headers(JsonResponse({
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": page_link(page.next_page_number()) if page.has_next() else None,
        "previous": page_link(page.previous_page_number()) if page.has_previous() else None,
        "results": [reading_json(request, r) for r in page],
    }))


def _create_reading(request):
    try:
        refuse_oversized_body(request)
        try:
            uploaded = request.FILES.get("image")
        except MultiPartParserError:
            return api_error(400, "bad_request", "The body is not valid multipart/form-data.")
        if uploaded is None:
            return api_error(400, "no_file", "Send the X-ray as the multipart field 'image'.")
        reading = screen_upload(request.user, uploaded)
    except UploadRefused as refusal:
        response = api_error(refusal.status, refusal.code, refusal.message)
        if refusal.advice:
            body = {"error": {"code": refusal.code, "message": refusal.message,
                              "advice": list(refusal.advice)}}
            response = private_headers(JsonResponse(body, status=refusal.status))
        return response
    response = private_headers(JsonResponse(reading_json(request, reading), status=201))
    response["Location"] = request.build_absolute_uri(reverse("api:reading", args=[reading.pk]))
    return response


@api_endpoint("GET", "DELETE")
def reading_detail(request, pk: int):
    reading = get_own_reading_or_404(request, pk)
    if request.method == "DELETE":
        storage.delete_reading(reading)
        return HttpResponse(status=204)
    return private_headers(JsonResponse(reading_json(request, reading)))


@api_endpoint("GET")
def image(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).original_path)


@api_endpoint("GET")
def thumbnail(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).thumbnail_path)


@api_endpoint("GET")
def heatmap(request, pk: int):
    return private_png_file(get_own_reading_or_404(request, pk).heatmap_path)


@api_endpoint("GET")
def overlay(request, pk: int):
    return private_png_bytes(presentation.overlay_png(get_own_reading_or_404(request, pk)))


@api_endpoint("GET")
def report(request, pk: int):
    return report_pdf.response(get_own_reading_or_404(request, pk))


@api_endpoint("GET", public=True)
def openapi_schema(request):
    return JsonResponse(schema(request.build_absolute_uri(reverse("api:readings")).rsplit("/readings/", 1)[0]))


@api_endpoint("GET", "POST", "PUT", "PATCH", "DELETE", public=True)
def not_found(request, rest: str = ""):
    return api_error(404, "not_found", "No such API route; see /api/v1/openapi.json.")
