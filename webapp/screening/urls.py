"""Screening pages under /screening/. Every route with a reading's <pk> checks that the reading
is the signed-in person's; site-validation/<pk>/ (a site check, which has no owner) checks only
that the person is staff.

<id:pk> (converters.py) matches database ids only: any other number is a plain 404."""
from django.urls import path

from . import api_keys, converters, views  # noqa: F401 - registers <id:...> (ids 1..2**63-1)

app_name = "screening"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("readings/", views.history, name="history"),
    path("readings.csv", views.history_csv, name="history_csv"),
    path("compare/", views.compare, name="compare"),
    path("readings/<id:pk>/", views.detail, name="detail"),
    path("readings/<id:pk>/annotate/", views.annotate, name="annotate"),
    path("readings/<id:pk>/delete/", views.delete, name="delete"),
    path("readings/<id:pk>/original.png", views.original_image, name="original"),
    path("readings/<id:pk>/thumbnail.png", views.thumbnail_image, name="thumbnail"),
    path("readings/<id:pk>/heatmap.png", views.heatmap_image, name="heatmap"),
    path("readings/<id:pk>/overlay.png", views.overlay_image, name="overlay"),
    path("readings/<id:pk>/report/", views.report, name="report"),
    path("readings/<id:pk>/report.pdf", views.report_pdf_view, name="report_pdf"),
    path("batches/<id:pk>/", views.batch, name="batch"),
    path("batches/<id:pk>/status/", views.batch_status, name="batch_status"),
    path("api-token/", api_keys.api_token, name="api_token"),
    path("site-validation/", views.site_validation_page, name="site_validation"),
    path("site-validation/<id:pk>/", views.site_validation_detail, name="site_validation_detail"),
]
