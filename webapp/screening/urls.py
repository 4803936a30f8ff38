"""Screening pages under /screening/. Every route with <pk> checks ownership."""
from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("readings/", views.history, name="history"),
    path("readings/<int:pk>/", views.detail, name="detail"),
    path("readings/<int:pk>/annotate/", views.annotate, name="annotate"),
    path("readings/<int:pk>/delete/", views.delete, name="delete"),
    path("readings/<int:pk>/original.png", views.original_image, name="original"),
    path("readings/<int:pk>/thumbnail.png", views.thumbnail_image, name="thumbnail"),
    path("readings/<int:pk>/heatmap.png", views.heatmap_image, name="heatmap"),
    path("readings/<int:pk>/overlay.png", views.overlay_image, name="overlay"),
    path("readings/<int:pk>/report/", views.report, name="report"),
    path("readings/<int:pk>/report.pdf", views.report_pdf_view, name="report_pdf"),
    path("api-token/", views.api_token, name="api_token"),
    path("site-validation/", views.site_validation_page, name="site_validation"),
    path("site-validation/<int:pk>/", views.site_validation_detail, name="site_validation_detail"),
]
