from django.urls import path

from . import views

app_name = "hospitals"
urlpatterns = [
    path("", views.nearest, name="nearest"),
    path("nearest.json", views.nearest_json, name="nearest_json"),
    path("places.json", views.places_json, name="places_json"),
]
