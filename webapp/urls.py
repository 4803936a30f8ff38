"""URL map of the web app: one include per Django app.

GET /healthz (for load balancers) is not here: webapp.health.HealthCheckMiddleware answers it
before sessions, login and the Host check."""
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from . import views

# The product's name on every admin page (the header, the tab's title), not "Django administration".
admin.site.site_header = _("CXR Screening administration")
admin.site.site_title = _("CXR Screening admin")
admin.site.index_title = _("Site administration")

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("", include("webapp.guide.urls")),
    path("accounts/", include("webapp.accounts.urls")),
    path("screening/", include("webapp.screening.urls")),
    path("api/v1/", include("webapp.screening.api_urls")),
    path("hospitals/", include("webapp.hospitals.urls")),
    # Django's language switch, open to visitors too (the landing page offers it).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "webapp.views.bad_request"
handler404 = "webapp.views.page_not_found"
