"""JSON API routes under /api/v1/ (see openapi.py). Every route with <pk> checks ownership."""
from django.urls import path, re_path

from . import api_views, converters  # noqa: F401 - registers <id:...> (ids 1..2**63-1)

app_name = "api"
urlpatterns = [
    path("readings/", api_views.readings, name="readings"),
    path("readings/<id:pk>/", api_views.reading_detail, name="reading"),
    path("readings/<id:pk>/image.png", api_views.image, name="image"),
    path("readings/<id:pk>/thumbnail.png", api_views.thumbnail, name="thumbnail"),
    path("readings/<id:pk>/heatmap.png", api_views.heatmap, name="heatmap"),
    path("readings/<id:pk>/overlay.png", api_views.overlay, name="overlay"),
    path("readings/<id:pk>/report.pdf", api_views.report, name="report_pdf"),
    path("openapi.json", api_views.openapi_schema, name="openapi"),
    # Anything else under /api/v1/ answers a JSON 404, not an HTML page or a login redirect:
    # ids outside 1..2**63-1 too (<id:pk> does not match them), and paths holding a newline
    # ("." stops at one, so such a path used to fall through to Django's HTML 404).
    re_path(r"^(?P<rest>[\s\S]*)$", api_views.not_found, name="not_found"),
]
