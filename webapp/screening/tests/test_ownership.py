"""Nobody reaches another user's reading by any URL: every route with a reading id is checked.

The routes are read from the URL configuration itself, so a route added later without an
ownership check fails here without anyone having to remember to list it.
"""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from webapp.screening import api_urls
from webapp.screening import urls as page_urls
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import (
    fast_password_hashing,  # noqa: F401 (autouse fixture)
    store_reading,
    stored_files,
)

PAGE_ROUTES = [f"screening:{p.name}" for p in page_urls.urlpatterns if "<int:pk>" in str(p.pattern)]
API_ROUTES = [f"api:{p.name}" for p in api_urls.urlpatterns if "<int:pk>" in str(p.pattern)]


def test_the_route_lists_are_complete():
    assert {"screening:detail", "screening:delete", "screening:annotate", "screening:original",
            "screening:thumbnail", "screening:heatmap", "screening:overlay", "screening:report",
            "screening:report_pdf"} <= set(PAGE_ROUTES)
    assert {"api:reading", "api:image", "api:thumbnail", "api:heatmap", "api:overlay",
            "api:report_pdf"} <= set(API_ROUTES)


@pytest.fixture
def owners_reading(model_dir, media_root, make_user, xray_paths):
    owner = make_user(role="doctor")
    return store_reading(owner, model_dir, xray_paths["covid"][0], patient_reference="MRN-1")


@pytest.fixture
def intruder(make_user):
    return make_user(role="doctor")  # a doctor: the role must not widen what one can see


def _assert_untouched(reading, settings):
    reading.refresh_from_db()
    assert reading.patient_reference == "MRN-1" and reading.note == ""
    assert len(stored_files(settings.PRIVATE_MEDIA_ROOT)) == 3


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_owner_reaches_every_page_route(route, owners_reading):
    client = Client()
    client.force_login(owners_reading.owner)
    response = client.get(reverse(route, args=[owners_reading.pk]))
    # annotate is POST-only: 405 to a GET, which tells nothing about the reading.
    assert response.status_code == (405 if route == "screening:annotate" else 200)


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_another_user_gets_404_from_every_page_route(route, owners_reading, intruder, settings,
                                                     django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(intruder)
    url = reverse(route, args=[owners_reading.pk])
    with django_capture_on_commit_callbacks(execute=True):
        if route != "screening:annotate":
            assert client.get(url).status_code == 404
        posted = client.post(url, {"patient_reference": "stolen", "note": "stolen"})
    assert posted.status_code in (404, 405)  # 405: a GET-only route, same for every id
    _assert_untouched(owners_reading, settings)


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_anonymous_visitors_are_sent_to_login_from_every_page_route(route, owners_reading, settings):
    response = Client().get(reverse(route, args=[owners_reading.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    _assert_untouched(owners_reading, settings)


@pytest.mark.parametrize("route", API_ROUTES)
def test_owner_reaches_every_api_route(route, owners_reading):
    _token, key = ApiToken.issue(owners_reading.owner)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse(route, args=[owners_reading.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("route", API_ROUTES)
def test_another_users_key_or_session_gets_404_from_every_api_route(route, owners_reading, intruder,
                                                                    settings,
                                                                    django_capture_on_commit_callbacks):
    _token, key = ApiToken.issue(intruder)
    with_key = Client(HTTP_AUTHORIZATION=f"Token {key}")
    with_session = Client()
    with_session.force_login(intruder)
    url = reverse(route, args=[owners_reading.pk])
    with django_capture_on_commit_callbacks(execute=True):
        for response in (with_key.get(url), with_session.get(url)):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        deleted = with_key.delete(url)
    assert deleted.status_code in (404, 405)
    _assert_untouched(owners_reading, settings)


@pytest.mark.parametrize("route", API_ROUTES)
def test_anonymous_api_requests_get_401(route, owners_reading, settings):
    url = reverse(route, args=[owners_reading.pk])
    assert Client().get(url).status_code == 401
    assert Client().delete(url).status_code in (401, 405)
    _assert_untouched(owners_reading, settings)


def test_a_missing_id_and_a_foreign_id_look_the_same(owners_reading, intruder):
    client = Client()
    client.force_login(intruder)
    foreign_url = reverse("screening:detail", args=[owners_reading.pk])
    missing_url = reverse("screening:detail", args=[owners_reading.pk + 1000])
    foreign, missing = client.get(foreign_url), client.get(missing_url)
    assert foreign.status_code == missing.status_code == 404
    assert _normalised(foreign.content, foreign_url) == _normalised(missing.content, missing_url)


def _normalised(html: bytes, url: str) -> bytes:
    # The (masked) CSRF token differs on every response and the page may echo its own address;
    # nothing else may differ.
    html = html.replace(url.encode(), b"URL")
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def test_the_api_list_shows_only_own_readings(owners_reading, intruder, xray_paths, model_dir):
    mine = store_reading(intruder, model_dir, xray_paths["normal"][0])
    _token, key = ApiToken.issue(intruder)
    listing = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:readings")).json()
    assert [r["id"] for r in listing["results"]] == [mine.pk]
    assert Reading.objects.count() == 2
