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
    "screening:batch": "a multi-file upload, its owner's only: test_batches.py",
    "screening:batch_status": "a multi-file upload, its owner's only: test_batches.py",
    "api:batch": "a multi-file upload, its owner's only: test_batches.py",
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


# --- ids no reading can have ----------------------------------------------------------------------

# Every route that takes an id, the staff-only site report included: all share the <id:...>
# converter (webapp/screening/converters.py).
ID_ROUTES = [r for r in all_routes() if r.takes_object_id and not r.name.startswith("admin:")]
MAX_ID = 2**63 - 1  # BigAutoField's (and the audit log's BigIntegerField's) largest value
# Ids that cannot match a route: out of the database's range, signed, not a number, or holding
# a newline (%0A; the client sends the path as written, Django decodes it).
UNMATCHED_IDS = ["0", "00", str(MAX_ID + 1), str(10**30), "9" * 5000, "-1", "-0", "abc", "1e3",
                 "1.0", "%201", "1%0A", "a%0A", "%0A"]


def _id_url(route, pk: str) -> str:
    url = route.url(1)
    prefix = url.split("/1/", 1)[0]
    assert url.startswith(prefix + "/1/"), url
    return url.replace(prefix + "/1/", f"{prefix}/{pk}/", 1)


def _signed_in(route, user, client):
    if route.name in NOT_READING_ROUTES:  # the site report is staff only: 403 to anyone else
        user.is_staff = True
        user.save()
    if is_api(route):
        _token, key = ApiToken.issue(user)
        return Client(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _assert_not_found(route, response):
    assert response.status_code == 404, response.content[:300]
    if is_api(route):
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"
    else:
        assert response["Content-Type"].startswith("text/html")
        assert b"Page not found" in response.content  # the site's 404 page, not a debug page


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: r.name)
def test_ids_no_reading_can_have_are_a_plain_404_on_every_route(route, alice, alice_client):
    """Once a 500: ids from 2**63 up overflowed the audit log's column after the lookup's 404."""
    from webapp.audit.models import AuditEvent

    client = _signed_in(route, alice, alice_client)
    for pk in UNMATCHED_IDS:
        url = _id_url(route, pk)
        for method in ("get", "head", "post", "delete", "put"):
            response = getattr(client, method)(url)
            if method == "head":
                assert response.status_code == 404, url
            else:
                _assert_not_found(route, response)
    # Such an id names nobody's reading, so there is no probe to record (and nothing crashed).
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: r.name)
def test_the_largest_id_is_looked_up_and_its_denial_logged(route, alice, alice_client):
    from webapp.audit.middleware import AUDITED
    from webapp.audit.models import Action, AuditEvent

    client = _signed_in(route, alice, alice_client)
    url = _id_url(route, str(MAX_ID))
    response = _first_allowed(client, url)
    _assert_not_found(route, response)
    for method in ("post", "delete"):
        assert getattr(client, method)(url).status_code in (404, 405)
    denied = set(AuditEvent.objects.values_list("action", "reading_id"))
    if any(name == route.name for name, _method in AUDITED):
        assert denied == {(Action.DENIED, MAX_ID)}
    else:
        assert denied == set()


def test_urls_for_impossible_ids_cannot_be_built():
    from django.urls import NoReverseMatch

    assert reverse("api:reading", args=[MAX_ID]).endswith(f"/{MAX_ID}/")
    for pk in (0, -1, MAX_ID + 1):
        with pytest.raises(NoReverseMatch):
            reverse("api:reading", args=[pk])
        with pytest.raises(NoReverseMatch):
            reverse("screening:detail", args=[pk])
