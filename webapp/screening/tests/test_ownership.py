"""Nobody reaches another user's reading by any URL: every route with a reading id is checked,
for its owner, another user (by session and by API key) and an anonymous visitor.

The routes are read from the URL resolver itself, not listed by hand, so a route added later
without an ownership check fails here without anyone having to remember to list it.
"""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.security_helpers import all_routes, stored_files

pytestmark = pytest.mark.django_db

# Routes whose id is not a reading's, each with where its access is tested instead.
NOT_READING_ROUTES = {
    "screening:site_validation_detail": "a site validation, staff only: test_site_validation.py",
}
OBJECT_ROUTES = [r for r in all_routes() if r.takes_object_id and not r.name.startswith("admin:")
                 and r.name not in NOT_READING_ROUTES]
API_MODULE = "webapp.screening.api_views"


def is_api(route) -> bool:
    return route.module == API_MODULE


def test_the_object_routes_include_every_reading_url():
    names = {r.name for r in OBJECT_ROUTES}
    assert {"screening:detail", "screening:annotate", "screening:delete", "screening:original",
            "screening:thumbnail", "screening:heatmap", "screening:overlay", "screening:report",
            "screening:report_pdf", "api:reading", "api:image", "api:thumbnail", "api:heatmap",
            "api:overlay", "api:report_pdf"} <= names


@pytest.fixture
def owners_reading(make_reading, alice, xray_paths):
    reading = make_reading(alice, xray_paths["normal"][0])
    reading.patient_reference = "MRN-1"
    reading.save()
    return reading


@pytest.fixture
def intruder(make_account):
    return make_account("intruder@example.org", role="doctor")  # the role must not widen access


@pytest.fixture
def intruder_client(intruder):
    client = Client()
    client.force_login(intruder)
    return client


def _first_allowed(client, url, **extra):
    """GET, or POST where the route only takes POST (a 405 says nothing about the object)."""
    response = client.get(url, **extra)
    if response.status_code == 405:
        response = client.post(url, **extra)
    return response


def _assert_untouched(reading):
    assert Reading.objects.filter(pk=reading.pk, owner=reading.owner).exists()
    reading.refresh_from_db()
    assert reading.patient_reference == "MRN-1" and reading.note == ""
    assert len(stored_files(settings.PRIVATE_MEDIA_ROOT)) == 3


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_the_owner_reaches_the_route(route, owners_reading, alice, alice_client):
    url = route.url(owners_reading.pk)
    if is_api(route):
        _token, key = ApiToken.issue(alice)
        assert Client(HTTP_AUTHORIZATION=f"Token {key}").get(url).status_code == 200
    else:
        # annotate is POST-only: 405 to a GET, which tells nothing about the reading.
        assert alice_client.get(url).status_code == (405 if route.name == "screening:annotate" else 200)
    response = _first_allowed(alice_client, url)
    assert response.status_code in (200, 302), response.content[:300]


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_another_user_gets_404(route, owners_reading, intruder, intruder_client,
                               django_capture_on_commit_callbacks):
    url = route.url(owners_reading.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert _first_allowed(intruder_client, url).status_code == 404
        if is_api(route):
            _token, key = ApiToken.issue(intruder)
            with_key = Client(HTTP_AUTHORIZATION=f"Token {key}")
            for response in (with_key.get(url), intruder_client.get(url)):
                assert response.status_code == 404
                assert response.json()["error"]["code"] == "not_found"
            assert with_key.delete(url).status_code in (404, 405)
        else:
            # Every state change by another user fails too (405 where the route has no POST).
            posted = intruder_client.post(url, {"patient_reference": "stolen", "note": "stolen"})
            assert posted.status_code in (404, 405)
    _assert_untouched(owners_reading)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_anonymous_visitors_get_the_login_page_or_401(route, owners_reading):
    url = route.url(owners_reading.pk)
    if is_api(route):
        response = _first_allowed(Client(), url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert Client().delete(url).status_code in (401, 405)
    else:
        for response in (Client().get(url), _first_allowed(Client(), url)):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    _assert_untouched(owners_reading)


def test_a_foreign_id_and_a_missing_id_look_the_same_on_the_pages(owners_reading, intruder_client):
    foreign_url = reverse("screening:detail", args=[owners_reading.pk])
    missing_url = reverse("screening:detail", args=[owners_reading.pk + 1000])
    foreign, missing = intruder_client.get(foreign_url), intruder_client.get(missing_url)
    assert foreign.status_code == missing.status_code == 404
    assert _normalised(foreign.content, foreign_url) == _normalised(missing.content, missing_url)


def _normalised(html: bytes, url: str) -> bytes:
    # The (masked) CSRF token differs on every response and the page may echo its own address;
    # nothing else may differ.
    html = html.replace(url.encode(), b"URL")
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def test_a_foreign_id_and_a_missing_id_answer_alike_in_the_api(owners_reading, intruder_client):
    foreign = intruder_client.get(reverse("api:reading", args=[owners_reading.pk]))
    missing = intruder_client.get(reverse("api:reading", args=[owners_reading.pk + 999]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_the_api_list_shows_only_own_readings(owners_reading, intruder, make_reading, xray_paths):
    mine = make_reading(intruder, xray_paths["normal"][1])
    _token, key = ApiToken.issue(intruder)
    listing = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:readings")).json()
    assert [r["id"] for r in listing["results"]] == [mine.pk]
    assert Reading.objects.count() == 2
