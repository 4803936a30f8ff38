"""URL map of the web app: one include per Django app."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("webapp.guide.urls")),
    path("accounts/", include("webapp.accounts.urls")),
    path("screening/", include("webapp.screening.urls")),
    path("hospitals/", include("webapp.hospitals.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
