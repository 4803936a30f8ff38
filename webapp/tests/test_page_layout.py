"""The site's frame: which pages are public, the layout, language switch and error pages (the
`model_status` command is tested with screening, which owns it)."""
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied, server_error

pytestmark = pytest.mark.django_db

DISCLAIMER = "A screening aid, not a diagnosis: a clinician and an RT-PCR test decide."

PUBLIC_PAGES = [
    "landing",
    "login",
    "register",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    # A worried person looks these up before any account (issue 17): public; screening is not.
    "hospitals:nearest",
    "guide:next_steps",
]
PROTECTED_PAGES = ["home", "profile", "password_change", "password_change_done"]

# The features the navigation links to (URL names owned by the other apps).
FEATURE_PAGES = [
    "screening:upload",
    "screening:history",
    "hospitals:nearest",
    "guide:next_steps",
    "guide:how_it_works",
]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_open_without_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert DISCLAIMER in response.content.decode()


def test_how_it_works_is_public(client):
    assert client.get(reverse("guide:how_it_works")).status_code == 200


@pytest.mark.parametrize("name", PROTECTED_PAGES)
def test_protected_pages_redirect_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ["screening:upload", "screening:history"])
def test_screening_pages_need_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PROTECTED_PAGES)
def test_protected_pages_open_when_logged_in(patient_client, name):
    assert patient_client.get(reverse(name)).status_code == 200


def test_landing_sends_logged_in_people_home(patient_client):
    response = patient_client.get(reverse("landing"))
    assert response.status_code == 302 and response.url == reverse("home")


def test_landing_explains_and_links_to_register_and_login(client):
    html = client.get(reverse("landing")).content.decode()
    assert "not a diagnosis" in html
    assert "RT-PCR" in html
    assert f'href="{reverse("register")}"' in html
    assert f'href="{reverse("login")}"' in html


def test_landing_says_how_the_model_did_on_hospitals_it_never_saw(client, model_dir):
    """A clinic's first X-ray is from a hospital the model never saw: a visitor reads the card's
    own figure for that before registering, with a link to where it was measured."""
    from cxr.inference.card import ModelCard

    unseen = ((ModelCard.load(model_dir).metrics.get("source") or {}).get("accuracy") or {}).get("value")
    if unseen is None:
        pytest.skip("the served card has no source-split measurement")
    html = " ".join(client.get(reverse("landing")).content.decode().split())
    percent = f"{round(100 * unseen)}%"
    assert (f"On X-rays from hospitals it never learned from, a model trained the same way was right only "
            f"{percent} of the time.") in html
    assert f'href="{reverse("guide:how_it_works")}#trust"' in html
    client.cookies["django_language"] = "id"
    indonesian = " ".join(client.get(reverse("landing")).content.decode().split())
    assert f"hanya benar pada {percent} kasus" in indonesian and "Bagaimana ini diukur" in indonesian


def test_home_greets_and_links_to_every_feature(patient_client):
    html = patient_client.get(reverse("home")).content.decode()
    assert "Hello, Ana" in html
    for name in FEATURE_PAGES:
        assert f'href="{reverse(name)}"' in html, name


def test_navigation_and_account_menu_for_logged_in_user(patient_client):
    html = patient_client.get(reverse("profile")).content.decode()
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    for name in FEATURE_PAGES:
        assert f'href="{reverse(name)}"' in nav, name
    assert 'class="skip-link" href="#main"' in html
    assert 'id="main"' in html
    assert f'href="{reverse("profile")}"' in html
    assert f'href="{reverse("password_change")}"' in html
    # Logging out is a POST form with a CSRF token, never a link.
    logout_form = re.search(r'<form action="/accounts/logout/" method="post">(.*?)</form>', html, re.S)
    assert logout_form and "csrfmiddlewaretoken" in logout_form.group(1)
    assert f'href="{reverse("logout")}"' not in html


def test_visitor_sees_login_and_register_not_the_account_menu(client):
    html = client.get(reverse("landing")).content.decode()
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    assert f'href="{reverse("guide:how_it_works")}"' in nav
    assert f'href="{reverse("screening:upload")}"' not in nav
    assert "account-menu" not in html
    assert "/accounts/logout/" not in html


@pytest.mark.parametrize("name", ["landing", "login", "register", "home", "profile", "password_change"])
def test_pages_have_no_inline_scripts_or_styles(patient, name):
    page_client = Client()
    if name in PROTECTED_PAGES:
        page_client.force_login(patient)
    html = page_client.get(reverse(name)).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the site script should be loaded"
    assert all("src=" in tag for tag in scripts), scripts
    assert " style=" not in html
    assert " onclick=" not in html.lower()


def test_static_files_are_served_to_visitors(client):
    for path in ("/static/css/site.css", "/static/js/site.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 500


def test_language_switch_works_for_visitors(client):
    html = client.get(reverse("landing")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'value="id"' in html and "Bahasa Indonesia" in html
    response = client.post(reverse("set_language"), {"language": "id", "next": "/accounts/login/"})
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert response.cookies["django_language"].value == "id"
    assert '<html lang="id">' in client.get(reverse("login")).content.decode()


def test_404_page_fits_the_layout(patient):
    logged_in = Client()
    logged_in.force_login(patient)
    for who in (Client(), logged_in):
        response = who.get("/no-such-page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "Page not found" in html and DISCLAIMER in html


def test_403_page_fits_the_layout(patient):
    request = RequestFactory().get("/somewhere/")
    request.user = patient
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    html = response.content.decode()
    assert "You are not allowed to see this page" in html and DISCLAIMER in html
    assert f'href="{reverse("home")}"' in html


def test_500_page_renders_without_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and DISCLAIMER in html


def test_every_address_a_page_cannot_get_answers_with_a_page(make_user):
    """Opening a form's address directly (GET on a POST-only view) got Django's empty 405 body:
    a blank page. Every such route outside the API now shows the site's own page, in the
    reader's language, and keeps the Allow header."""
    from django.utils import translation

    from webapp.tests.support.security_helpers import all_routes

    client = Client()
    client.force_login(make_user(is_staff=True))
    refused = []
    for route in all_routes():
        if route.pattern.startswith(("api/", "admin/")):
            continue
        response = client.get(route.url(), HTTP_ACCEPT_LANGUAGE="id")
        if response.status_code == 405:
            refused.append(route.name)
            html = response.content.decode()
            assert 'data-testid="method-not-allowed"' in html, route.pattern
            assert response["Allow"] and "GET" not in response["Allow"].split(", ")
            with translation.override("id"):
                assert translation.gettext("This address is not a page") in html
    assert {"logout", "screening:annotate"} <= set(refused), refused


def test_every_page_that_answers_get_answers_head(make_user, make_reading, xray_paths):
    """HEAD is GET without the body (link checkers, monitors, `curl -I`); views limited to GET
    answered it 405 while others answered 200."""
    from webapp.tests.support.security_helpers import all_routes

    user = make_user(is_staff=True)
    reading = make_reading(user, xray_paths["normal"][0])
    client = Client()
    client.force_login(user)
    refused = []
    for route in all_routes():
        if route.pattern.startswith(("api/", "admin/")):
            continue
        url = route.url(reading.pk)
        if client.get(url).status_code == 200 and client.head(url).status_code != 200:
            refused.append(route.name or route.pattern)
    assert refused == [], refused


@pytest.mark.parametrize("language", ["en", "id"])
def test_500_page_is_in_the_readers_language_and_says_so(language):
    """The 500 page said lang="en" around Indonesian words (a screen reader spoke them with
    English rules): it names the language it is written in."""
    from django.utils import translation

    with translation.override(language):
        html = server_error(RequestFactory().get("/")).content.decode()
        heading = translation.gettext("Something went wrong on our side")
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert (heading == "Something went wrong on our side") == (language == "en")  # translated


def test_messages_keep_their_list_semantics(patient):
    """role="status" on the <ul> of flash messages took away its list role (axe: listitem,
    aria-allowed-role): the live region is a <div> around the list."""
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage

    request = RequestFactory().get("/somewhere/")
    request.user = patient
    request._messages = CookieStorage(request)
    messages.success(request, "Your profile has been saved.")
    html = permission_denied(request, PermissionDenied()).content.decode()
    region = re.search(r'<div class="messages-region" role="status">\s*<ul class="messages">\s*<li', html)
    assert region
    assert not re.search(r'<ul[^>]*class="messages"[^>]*role=', html)
