"""What anonymous visitors may see: exactly the listed routes; everything else needs a login
(pages) or an API key (API). Routes are read from the URL resolver, so a new view is covered
the day it is added.
"""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webapp.tests.support.security_helpers import all_routes

pytestmark = pytest.mark.django_db

ROUTES = all_routes()

# Everything else needs a login (pages) or an API key (API). Adding a public page is a decision:
# add it here, with its reason in review.
PUBLIC_ROUTES = {
    "landing", "login", "register", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete", "set_language",
    # Registering: "check your email", the mailed confirmation link and asking for it again.
    "register_done", "verify_email", "resend_verification",
    # A new address's link, opened where nobody is signed in too (a phone's mail app).
    "confirm_new_email",
    # How long a session has left: an ended one must answer so, not redirect (static/js/session.js).
    "session_time",
    "guide:how_it_works", "guide:model_plot",  # how the model works, for visitors too
    # A worried person looks for a hospital and what to do first (issue 17, item 1).
    "guide:next_steps", "hospitals:nearest", "hospitals:nearest_json", "hospitals:places_json",
    "api:openapi", "api:not_found",  # the API's description and its JSON 404
    "admin:login",
}


def test_only_the_listed_routes_are_open_to_anonymous_visitors():
    client = Client()
    public = set()
    for route in ROUTES:
        response = client.get(route.url())
        location = response.get("Location", "")
        protected = response.status_code == 401 or (
            response.status_code == 302
            and location.startswith((reverse("login"), reverse("admin:login"))))
        if not protected:
            public.add(route.name or route.pattern)
    assert public == PUBLIC_ROUTES
