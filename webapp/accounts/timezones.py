"""Times in the reader's own time zone.

The browser says which zone it is in (Intl.DateTimeFormat().resolvedOptions().timeZone, sent by
webapp/static/js/accounts.js as the `tz` cookie). `TimeZoneMiddleware` activates, per request:

1. the zone kept in the signed-in person's profile (they may change it there);
2. else the browser's zone, which is then kept in the profile (the first page after registering
   or logging in does this);
3. else settings.TIME_ZONE (UTC).

Dates on pages are formatted with DATETIME_FORMAT (webapp/formats/), which ends with the zone's
abbreviation ("WIB", "CET", "UTC"), so every time shown says which zone it is in. The PDF report
uses the owner's zone (`zone_of`) because the API serves it without a browser.
"""
from __future__ import annotations

import zoneinfo
from datetime import datetime
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import formats, timezone

from .models import valid_time_zone

COOKIE = "tz"


def browser_zone(request) -> str:
    """The zone the browser reported, or "" when there is none or it is not a known zone."""
    name = unquote(request.COOKIES.get(COOKIE, ""))  # "Asia%2FJakarta" from other scripts
    return name if valid_time_zone(name) else ""


def zone_of(user) -> zoneinfo.ZoneInfo:
    """The zone to show `user`'s times in: their profile's, else settings.TIME_ZONE."""
    name = getattr(user, "time_zone", "") or ""
    return zoneinfo.ZoneInfo(name if valid_time_zone(name) else settings.TIME_ZONE)


def format_datetime(moment: datetime, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """`moment` in `zone` (default: the active zone) as DATETIME_FORMAT, labelled with the zone."""
    return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


class TimeZoneMiddleware:
    """Activates the reader's time zone for the request (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = self.zone_name(request)
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def zone_name(request) -> str:
        user = getattr(request, "user", None)
        detected = browser_zone(request)
        if user is None or not user.is_authenticated:
            return detected
        if valid_time_zone(user.time_zone):
            return user.time_zone
        if detected:
            # Kept in the profile: the PDF and the API use it without a browser. Only a zone never
            # chosen is empty: the profile saves "Not set" as UTC (forms.ProfileForm).
            get_user_model().objects.filter(pk=user.pk).update(time_zone=detected)
            user.time_zone = detected
        return detected
