"""Signed-in browser sessions end after settings.SESSION_IDLE_MINUTES without a request.

SESSION_COOKIE_AGE is that idle time: Django gives a saved session (its database row and its
cookie) that long from the save. This middleware saves a signed-in session again as requests
come, so the end moves on with use; at most once every REFRESH_EVERY seconds, as each save is a
database write. API keys are not sessions and are not touched.
"""
from __future__ import annotations

import time

from django.contrib.auth import SESSION_KEY

# Where the session keeps when its end was last moved on (seconds since the epoch).
REFRESHED_AT = "idle_refreshed_at"
REFRESH_EVERY = 60


class IdleTimeoutMiddleware:
    """Listed after SessionMiddleware: its change is seen when the session is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No session cookie: nothing to move on, and the session is left unread (reading it
        # would add Vary: Cookie to answers that had none, the API's included).
        if session is None or session.session_key is None:
            return response
        now = int(time.time())
        if SESSION_KEY in session and now - session.get(REFRESHED_AT, 0) >= REFRESH_EVERY:
            session[REFRESHED_AT] = now  # marks it modified: saved with a new end and cookie
        return response
