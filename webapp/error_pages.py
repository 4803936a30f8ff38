"""A page for "method not allowed" (405), which Django answers with an empty body.

`require_http_methods` and the class-based views return a bare HttpResponseNotAllowed: a person
who opens a form's address directly (a bookmarked sign-out link, a reading's note form) got a
blank page. The JSON API answers 405 itself (webapp/screening/api_problems.py), so only pages
outside /api/ get this one; its Allow header is kept.
"""
from __future__ import annotations

from django.template.loader import render_to_string

from webapp.screening.api_problems import is_api_path


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not is_api_path(request):
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
