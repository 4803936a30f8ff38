"""CSRF protection over the whole URL map: every POST without the token is refused, and only
the token-authenticated API views are exempt (they refuse state changes by session).

Routes are read from the URL resolver, not listed by hand: a view added later is covered by
these tests the day it is added, and fails them if it forgets a check.
"""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from webapp.screening.models import Reading
from webapp.tests.support.security_helpers import all_routes, stored_files

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
API_MODULE = "webapp.screening.api_views"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def is_api(route) -> bool:
    return route.module == API_MODULE


@pytest.fixture
def alices_reading(make_reading, alice, xray_paths):
    return make_reading(alice, xray_paths["normal"][0])


def _assert_intact(reading):
    assert Reading.objects.filter(pk=reading.pk, owner=reading.owner).exists()
    assert len(stored_files(settings.PRIVATE_MEDIA_ROOT)) == 3


CSRF_PROTECTED = [r for r in ROUTES if not r.csrf_exempt]
CSRF_EXEMPT = [r for r in ROUTES if r.csrf_exempt]


def test_only_token_authenticated_api_views_are_csrf_exempt():
    # An exempt view that accepted a session cookie for a state change would be open to CSRF;
    # the API accepts sessions for GET only (checked below), so only it may be exempt.
    offenders = [f"{r.pattern} ({r.module})" for r in CSRF_EXEMPT if not is_api(r)]
    assert offenders == []
    assert len(CSRF_PROTECTED) > 60  # the whole site, admin included, is really enumerated


@pytest.mark.parametrize("route", CSRF_PROTECTED, ids=lambda r: r.name or r.pattern)
def test_a_post_without_csrf_token_is_refused(route, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(route.url(), {"note": "x", "action": "create"})
    assert response.status_code == 403


@pytest.mark.parametrize("route", CSRF_EXEMPT, ids=lambda r: r.name)
@pytest.mark.parametrize("method", STATE_CHANGING)
def test_exempt_api_views_refuse_state_changes_by_session(route, method, alices_reading, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)  # the victim's browser: logged in, but it sends no API key
    response = client.generic(method, route.url(alices_reading.pk), b"", "application/json")
    assert response.status_code in (401, 404, 405), (method, route.pattern, response.status_code)
    _assert_intact(alices_reading)


def test_login_and_registration_need_the_csrf_token_too():
    client = Client(enforce_csrf_checks=True)
    for name in ("login", "register", "password_reset", "set_language"):
        assert client.post(reverse(name), {"username": "a@b.org"}).status_code == 403


def test_with_the_token_the_same_post_goes_through(alices_reading, alice):
    # The control: the 403s above come from the missing token, not from the view.
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("screening:annotate", args=[alices_reading.pk])
    client.get(reverse("screening:detail", args=[alices_reading.pk]))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(url, {"patient_reference": "MRN-7", "note": "",
                                 "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    alices_reading.refresh_from_db()
    assert alices_reading.patient_reference == "MRN-7"


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_refused_form_says_what_happened_in_the_readers_language(alices_reading, alice, language):
    """Django's own CSRF page is bare English for developers; people see why and what to do."""
    from django.utils import translation

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse("screening:annotate", args=[alices_reading.pk])
    response = client.post(url, {"patient_reference": "MRN-7"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    html = response.content.decode()
    with translation.override(language):
        title = translation.gettext("The form could not be sent")
    assert 'data-testid="csrf-failure"' in html and title in html
    assert "CSRF verification failed" not in html and "<nav" in html  # the site's own page
    if language == "id":
        assert title != "The form could not be sent" and "Muat ulang halaman" in html
    alices_reading.refresh_from_db()
    assert alices_reading.patient_reference == ""  # nothing saved, as it says


def test_an_upload_refused_for_its_token_gets_the_sentence_as_json(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("screening:upload"), {}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "csrf_failed" and "nothing was sent or saved" in error["message"]
