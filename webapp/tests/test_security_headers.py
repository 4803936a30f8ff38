"""Security headers on real pages, and pages that keep working under the strict CSP.

The policy forbids inline scripts and styles, so the second half reads the rendered HTML of
every page checked here: an inline <script>, <style>, style="..." or onclick="..." would be
silently blocked by the browser and break the page.
"""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["landing", "login", "register", "password_reset"]
SIGNED_IN_PAGES = ["home", "profile", "screening:upload", "screening:history",
                   "screening:api_token", "hospitals:nearest", "password_change"]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response):
    directives = csp_directives(response)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'self'"]
    # The bare host is the one the hospital map uses; "*." alone does not match it.
    assert set(directives["img-src"]) == {"'self'", "data:", "https://tile.openstreetmap.org",
                                          "https://*.tile.openstreetmap.org"}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_carry_the_security_headers(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_carry_the_security_headers(alice_client, name):
    response = alice_client.get(reverse(name))
    assert response.status_code == 200
    assert_security_headers(response)


def test_redirects_errors_json_and_static_files_carry_them_too(client, alice_client):
    assert_security_headers(client.get(reverse("home")))  # login redirect
    missing = alice_client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_security_headers(missing)
    api = client.get(reverse("api:readings"))
    assert api.status_code == 401
    assert_security_headers(api)
    static = client.get("/static/css/site.css")
    assert static.status_code == 200
    assert_security_headers(static)


INLINE_CODE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script> block"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def inline_code_in(html: str) -> list[str]:
    # JSON data islands (<script type="application/json">) are data, not code: CSP allows them.
    html = re.sub(r"<script\b[^>]*type=\"application/(ld\+)?json\"[^>]*>.*?</script>", "", html,
                  flags=re.I | re.S)
    return [f"{what}: {match.group(0)!r}" for pattern, what in INLINE_CODE
            for match in pattern.finditer(html)]


@pytest.mark.parametrize("name", PUBLIC_PAGES + SIGNED_IN_PAGES)
def test_pages_need_no_inline_script_or_style(client, alice, name):
    if name not in PUBLIC_PAGES:
        client.force_login(alice)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert inline_code_in(response.content.decode()) == []


def test_the_inline_code_detector_finds_what_it_looks_for():
    html = ('<p style="color:red" onclick="x()"><script>alert(1)</script><style>p{}</style>'
            '<script src="/static/js/site.js"></script><script type="application/json">{}</script>')
    found = inline_code_in(html)
    assert len(found) == 4
    assert not any("site.js" in item for item in found)


@pytest.mark.parametrize("name", ["detail", "report", "delete", "original", "report_pdf"])
def test_reading_pages_and_files_carry_them_and_need_no_inline_code(name, make_reading, alice,
                                                                    alice_client, xray_paths):
    reading = make_reading(alice, xray_paths["pneumonia"][0])
    response = alice_client.get(reverse(f"screening:{name}", args=[reading.pk]))
    assert response.status_code == 200
    assert_security_headers(response)
    if response["Content-Type"].startswith("text/html"):
        assert inline_code_in(response.content.decode()) == []
