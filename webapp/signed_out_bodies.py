"""A small limit on the body of a request from nobody signed in, checked before it is read.

CsrfViewMiddleware reads and parses a form POST's body (files spooled to /tmp) before the login
check runs, so an anonymous POST of 150 MB to the upload page was read in full, then redirected
to the login page: a way to fill a server's disk and its time without an account. Nobody signed
in needs more than a few kilobytes (signing in, registering, asking for a reset); a request
with a session that has signed in, or with an API key (checked later, by the API), is left to
the routes' own limits. Behind nginx, `client_max_body_size` stops larger bodies first; this
covers gunicorn alone, and the gap between the two.
"""
from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.template.loader import render_to_string

SIGNED_OUT_BODY_LIMIT = 1024 * 1024


class SignedOutBodyLimitMiddleware:
    """413 for a declared body over SIGNED_OUT_BODY_LIMIT from a request that is not signed in.
    Placed after SessionMiddleware (it reads the session) and before CsrfViewMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > SIGNED_OUT_BODY_LIMIT and not _signed_in(request):
            # Under /api/ ApiErrorMiddleware turns this into a JSON problem.
            return HttpResponse(render_to_string("413.html", request=request), status=413)
        return self.get_response(request)


def _signed_in(request) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION")) or SESSION_KEY in request.session
