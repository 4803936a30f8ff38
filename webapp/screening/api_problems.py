"""Errors of the JSON API: one shape everywhere under /api/, RFC 9457 problem details.

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "No such reading.",
     "code": "not_found",                                  # stable, for programs
     "error": {"code": "not_found", "message": "No such reading."}}   # API 1.x clients

`code` is the stable part; `detail` (also `error.message`) is for people and may change.
Extra members where they apply: `errors` (which parameters were wrong), `advice` (what to
upload instead), `retry_after` (seconds, also the Retry-After header).

The media type is `application/problem+json` when the request's Accept header names it, else
`application/json` (what API 1.x clients compare against); the body is the same.

`ApiErrorMiddleware` makes the rule hold for errors raised before or after the API's views too:
Django's own 400/403/404/500 pages (routing, a bad Host header, CSRF, a crash in a middleware,
the 500 page itself) become problems under /api/, and a request line longer than
MAX_REQUEST_LINE gets a JSON 414 (gunicorn.conf.py lets such lines through to the app).
"""
from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
JSON_MEDIA_TYPE = "application/json"
ERROR_MEDIA_TYPES = (PROBLEM_MEDIA_TYPE, JSON_MEDIA_TYPE)

# Longest request line (method, target, version) the app answers; longer ones get a JSON 414.
# 8190 bytes: gunicorn's largest finite limit and nginx's default header buffer (8 KiB).
MAX_REQUEST_LINE = 8190

# The code each status gets when nothing more specific is known (e.g. Django's own error pages).
DEFAULT_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
    414: "uri_too_long", 415: "unsupported_format", 422: "unprocessable", 429: "rate_limited",
    500: "server_error", 503: "unavailable",
}
DEFAULT_DETAILS = {
    400: "The request could not be read.",
    403: "This request is not allowed.",
    404: "No such API route; see /api/v1/openapi.json.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    414: f"The request line is longer than {MAX_REQUEST_LINE} bytes.",
    500: "The server failed to answer this request; it has been logged.",
}


class ApiProblem(Exception):
    """Raise anywhere in an API view (or its authentication) to answer with a problem."""

    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, str(detail)
        self.headers = headers or {}
        self.extra = extra


def wants_problem_media_type(request) -> bool:
    return PROBLEM_MEDIA_TYPE in (request.META.get("HTTP_ACCEPT", "") if request else "")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, code: str, detail: str, **extra) -> dict:
    """The problem document. It has no `instance`: a missing reading and another user's must
    answer byte for byte alike, so that ids cannot be probed."""
    body = {"type": "about:blank", "title": _phrase(status), "status": status, "detail": str(detail),
            "code": code}
    body.update({k: v for k, v in extra.items() if v is not None})
    error = {"code": code, "message": str(detail)}
    if extra.get("advice"):
        error["advice"] = list(extra["advice"])
    body["error"] = error
    return body


def problem_response(request, status: int, code: str, detail: str, headers: dict | None = None,
                     **extra) -> HttpResponse:
    """A problem as an HttpResponse: private, never cached, never sniffed."""
    body = problem_body(status, code, detail, **extra)
    media_type = PROBLEM_MEDIA_TYPE if wants_problem_media_type(request) else JSON_MEDIA_TYPE
    response = HttpResponse(json.dumps(body), status=status, content_type=media_type)
    for name, value in (headers or {}).items():
        response[name] = value
    if "retry_after" in extra and extra["retry_after"] is not None:
        response["Retry-After"] = str(extra["retry_after"])
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def from_exception(request, problem: ApiProblem) -> HttpResponse:
    return problem_response(request, problem.status, problem.code, problem.detail,
                            problem.headers, **problem.extra)


def _is_json(response) -> bool:
    media_type = (response.get("Content-Type") or "").split(";")[0].strip().lower()
    return media_type in ERROR_MEDIA_TYPES


def _request_line_length(request) -> int:
    target = request.META.get("RAW_URI") or request.get_full_path()
    return len(request.method or "") + 1 + len(target) + len(" HTTP/1.1")


def is_api_path(request) -> bool:
    """Whether `request` is one of the JSON API's: the one test of it in the project (the 404 and
    405 answers and the audit log use it too). path_info is the path inside the site, so a site
    served under a prefix (SCRIPT_NAME) tells them apart as one served at the root does."""
    return request.path_info.startswith("/api/") or request.path_info == "/api"


class ApiErrorMiddleware:
    """Every error answered under /api/ is a problem, whoever raised it.

    Placed right after the security headers (settings.MIDDLEWARE), so everything inside it
    (sessions, CSRF, routing, the views and the audit log) is covered, and the replaced
    response still gets the site's security headers on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request):
            return self.get_response(request)
        if _request_line_length(request) > MAX_REQUEST_LINE:
            return problem_response(request, 414, "uri_too_long", DEFAULT_DETAILS[414])
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response):
            return response
        status = response.status_code
        headers = {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate")
                   if response.has_header(name)}
        return problem_response(
            request, status, DEFAULT_CODES.get(status, "error"),
            DEFAULT_DETAILS.get(status) or _phrase(status) + ".", headers)
