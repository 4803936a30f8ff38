"""Signed-in browser sessions end after settings.SESSION_IDLE_MINUTES without a request.

SESSION_COOKIE_AGE is that idle time: Django gives a saved session (its database row and its
cookie) that long from the save. This middleware saves a signed-in session again as requests
come, so the end moves on with use; at most once every REFRESH_EVERY seconds, as each save is a
database write. API keys are not sessions and are not touched.

A page warns before its session ends (static/js/session.js; WCAG 2.2.1 asks that a time limit be
announced and extended by one simple action): it asks `views.session_time` how long is left,
which does not move the end on (`leave_idle_time`: another tab may be in use, and a page left
open must not keep a session alive), and moves it on (`keep_alive`) when the person says so.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

# Where the session keeps when its end was last moved on (seconds since the epoch).
REFRESHED_AT = "idle_refreshed_at"
REFRESH_EVERY = 60


def seconds_left(session) -> int:
    """How long the signed-in `session` has before it ends without a request; 0 when signed out."""
    if SESSION_KEY not in session:
        return 0
    end = session.get(REFRESHED_AT, int(time.time())) + settings.SESSION_COOKIE_AGE
    return max(0, end - int(time.time()))


def keep_alive(session) -> None:
    """Move the signed-in `session`'s end on now, whenever it was last moved."""
    if SESSION_KEY in session:
        session[REFRESHED_AT] = int(time.time())


def leave_idle_time(request) -> None:
    """This request does not count as activity: the middleware leaves the session's end as it is."""
    request.leaves_idle_time = True


def session_idle(request) -> dict:
    """Template context: the idle time the page's warning speaks of (base.html)."""
    return {"session_idle_minutes": settings.SESSION_IDLE_MINUTES,
            "session_idle_seconds": settings.SESSION_COOKIE_AGE}


class IdleTimeoutMiddleware:
    """Listed after SessionMiddleware: its change is seen when the session is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No session cookie: nothing to move on, and the session is left unread (reading it
        # would add Vary: Cookie to answers that had none, the API's included).
        if session is None or session.session_key is None or getattr(request, "leaves_idle_time", False):
            return response
        now = int(time.time())
        if SESSION_KEY in session and now - session.get(REFRESHED_AT, 0) >= REFRESH_EVERY:
            session[REFRESHED_AT] = now  # marks it modified: saved with a new end and cookie
        return response
