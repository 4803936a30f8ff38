"""Access control over the whole URL map: ownership, login, CSRF, throttling, password storage.

Routes are read from the URL resolver, not listed by hand: a view added later is covered by
these tests the day it is added, and fails them if it forgets a check.
"""
from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.security_helpers import all_routes, stored_files

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
OBJECT_ROUTES = [r for r in ROUTES if r.takes_object_id and not r.name.startswith("admin:")]
API_MODULE = "webapp.screening.api_views"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def is_api(route) -> bool:
    return route.module == API_MODULE


def test_the_object_routes_include_every_reading_url():
    names = {r.name for r in OBJECT_ROUTES}
    assert {"screening:detail", "screening:annotate", "screening:delete", "screening:original",
            "screening:thumbnail", "screening:heatmap", "screening:overlay", "screening:report",
            "screening:report_pdf", "api:reading", "api:image", "api:thumbnail", "api:heatmap",
            "api:overlay", "api:report_pdf"} <= names


@pytest.fixture
def alices_reading(make_reading, alice, xray_paths):
    return make_reading(alice, xray_paths["normal"][0])


def _first_allowed(client, url, **extra):
    """GET, or POST where the route only takes POST (a 405 says nothing about the object)."""
    response = client.get(url, **extra)
    if response.status_code == 405:
        response = client.post(url, **extra)
    return response


def _assert_intact(reading):
    assert Reading.objects.filter(pk=reading.pk, owner=reading.owner).exists()
    assert len(stored_files(settings.PRIVATE_MEDIA_ROOT)) == 3


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_the_owner_reaches_the_route(route, alices_reading, alice_client):
    response = _first_allowed(alice_client, route.url(alices_reading.pk))
    assert response.status_code in (200, 302), response.content[:300]


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_another_user_gets_404(route, alices_reading, bob, bob_client,
                               django_capture_on_commit_callbacks):
    url = route.url(alices_reading.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert _first_allowed(bob_client, url).status_code == 404
        if is_api(route):
            _token, key = ApiToken.issue(bob)
            with_key = Client(HTTP_AUTHORIZATION=f"Token {key}")
            assert with_key.get(url).status_code == 404
            assert with_key.delete(url).status_code in (404, 405)
        else:
            # Every state change by another user fails too (405 where the route has no POST).
            assert bob_client.post(url, {"note": "mine now"}).status_code in (404, 405)
    _assert_intact(alices_reading)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
def test_anonymous_visitors_get_the_login_page_or_401(route, alices_reading):
    url = route.url(alices_reading.pk)
    response = _first_allowed(Client(), url)
    if is_api(route):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    _assert_intact(alices_reading)


def test_a_foreign_id_and_a_missing_id_answer_alike(alices_reading, bob_client):
    foreign = bob_client.get(reverse("api:reading", args=[alices_reading.pk]))
    missing = bob_client.get(reverse("api:reading", args=[alices_reading.pk + 999]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


# --- what anonymous visitors may see -------------------------------------------------------

# Everything else needs a login (pages) or an API key (API). Adding a public page is a decision:
# add it here, with its reason in review.
PUBLIC_ROUTES = {
    "landing", "login", "register", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete", "set_language",
    "guide:how_it_works", "guide:model_plot",  # how the model works, for visitors too
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


# --- CSRF ---------------------------------------------------------------------------------

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


# --- login throttling -------------------------------------------------------------------

def _login(client, email, password, **meta):
    return client.post(reverse("login"), {"username": email, "password": password}, **meta)


def _fail_until_locked(email, **meta):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, email, "wrong-password-1", **meta)


def test_forged_forwarded_for_headers_do_not_buy_more_attempts(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 0  # no proxy: the header is the client's own invention
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, bob.email, "wrong-password-1", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    locked = _login(client, bob.email, "quartz-lagoon-violet-73", HTTP_X_FORWARDED_FOR="10.9.9.99")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_visitors_address_counts_not_the_proxys(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # The attacker forges a left-hand entry; only the one our proxy appended is used.
    _fail_until_locked(bob.email, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5", **proxy)
    attacker = _login(Client(), bob.email, "quartz-lagoon-violet-73",
                      HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5", **proxy)
    assert attacker.status_code == 429
    # Bob, at home behind the same proxy, is not locked out by the attacker's failures.
    bob_at_home = _login(Client(), bob.email, "quartz-lagoon-violet-73",
                         HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert bob_at_home.status_code == 302


def test_the_admin_login_is_throttled_as_well(make_account):
    staff = make_account("staff@example.org")
    staff.is_staff = True
    staff.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": staff.email, "password": "nope-nope-1"})
    response = client.post(reverse("admin:login"),
                           {"username": staff.email, "password": "quartz-lagoon-violet-73"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- password storage -------------------------------------------------------------------

def test_registration_stores_only_a_salted_hash(client, real_password_hashers):
    from webapp.accounts.models import User

    password = "orchid-tundra-pylon-29"
    response = client.post(reverse("register"), {
        "full_name": "Citra Dewi", "email": "citra@example.org", "role": "patient",
        "password1": password, "password2": password,
    })
    assert response.status_code == 302
    user = User.objects.get(email="citra@example.org")
    hasher = get_hasher("default")
    assert hasher.algorithm in ("pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt")
    assert user.password.startswith(f"{hasher.algorithm}$")
    assert password not in user.password
    assert user.check_password(password)
    # Salted: the same password gives another hash for another account.
    other = User.objects.create_user(email="dewi@example.org", password=password, full_name="D")
    assert other.password != user.password


def test_a_changed_password_is_hashed_too(alice, alice_client, real_password_hashers):
    new_password = "saffron-glacier-comet-64"
    alice.set_password("quartz-lagoon-violet-73")
    alice.save()
    alice_client.force_login(alice)
    response = alice_client.post(reverse("password_change"), {
        "old_password": "quartz-lagoon-violet-73",
        "new_password1": new_password, "new_password2": new_password,
    })
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.password.startswith(f"{get_hasher('default').algorithm}$")
    assert new_password not in alice.password
