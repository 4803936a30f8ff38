"""The API's interactive documentation: Swagger UI over /api/v1/openapi.json.

Served from the static files django-ninja ships (ninja/swagger-ui-bundle.js and friends), never
from a CDN, with no inline script (the settings travel as a JSON data block), so the site's
Content-Security-Policy holds. For signed-in people (the page links it from the API key page):
"Try it out" then works for GETs with the session, and for uploads with a key (Authorize).
"""
from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def docs(request):
    settings = {"url": reverse("api:openapi"), "layout": "BaseLayout", "deepLinking": True,
                "persistAuthorization": False}
    return render(request, "screening/api_docs.html", {
        "swagger_settings": settings, "api_key_url": reverse("screening:api_token"),
    })
