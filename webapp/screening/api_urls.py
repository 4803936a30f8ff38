"""JSON API routes under /api/v1/ (see openapi.py). Every route with <pk> checks ownership."""
from django.urls import path, re_path

from . import api_views

app_name = "api"
urlpatterns = [
    path("readings/", api_views.readings, name="readings"),
    path("readings/<int:pk>/", api_views.reading_detail, name="reading"),
    path("readings/<int:pk>/image.png", api_views.image, name="image"),
    path("readings/<int:pk>/thumbnail.png", api_views.thumbnail, name="thumbnail"),
    path("readings/<int:pk>/heatmap.png", api_views.heatmap, name="heatmap"),
    path("readings/<int:pk>/overlay.png", api_views.overlay, name="overlay"),
    path("readings/<int:pk>/report.pdf", api_views.report, name="report_pdf"),
    path("openapi.json", api_views.openapi_schema, name="openapi"),
    # Anything else under /api/v1/ answers a JSON 404, not an HTML page or a login redirect.
    re_path(r"^(?P<rest>.*)$", api_views.not_found, name="not_found"),
]
