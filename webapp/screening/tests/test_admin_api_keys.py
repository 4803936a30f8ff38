"""The admin's API keys: called "Api tokens" while the app says "API keys", listed without
their name or expiry, with the rate limiter's counters editable and a rate limit without unit."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from webapp.screening.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(bob):
    return ApiToken.issue(bob, name="Ward scanner")[0]


def text(answer) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode()))


def test_the_list_says_api_keys_with_name_and_expiry(token, superuser_client_in):
    listing = text(superuser_client_in("en").get(reverse("admin:screening_apitoken_changelist")))
    assert "Api token" not in listing
    assert "Select API key to change" in listing
    for header in (" Name ", " User ", " Prefix ", " Created at ", " Expires ", " Last used at "):
        assert header in listing, header
    assert "Ward scanner" in listing

    listing = text(superuser_client_in("id").get(reverse("admin:screening_apitoken_changelist")))
    assert "Pilih kunci API untuk diubah" in listing and "Hapus kunci API yang dipilih" in listing
    for header in (" Nama ", " Pengguna ", " Awalan ", " Dibuat pada ", " Kedaluwarsa ",
                   " Terakhir dipakai pada "):
        assert header in listing, header
    index = text(superuser_client_in("id").get(reverse("admin:index")))
    assert "Kunci API" in index and "Api tokens" not in index


def test_the_rate_counters_are_read_only_and_the_limit_says_per_minute(token, superuser_client_in):
    client = superuser_client_in("en")
    url = reverse("admin:screening_apitoken_change", args=[token.pk])
    html = client.get(url).content.decode()
    assert 'name="window_start' not in html and 'name="window_count"' not in html
    assert 'name="rate_limit"' in html
    assert "Rate limit (requests per minute)" in html
    assert "Requests this key may make in one minute" in html
    assert "batas laju (permintaan per menit)".capitalize() in superuser_client_in("id").get(url).content.decode()

    client.post(url, {"name": "Renamed", "expires_at_0": token.expires_at.strftime("%Y-%m-%d"),
                      "expires_at_1": "10:00:00", "rate_limit": 30, "window_count": 999})
    token.refresh_from_db()
    assert (token.name, token.rate_limit, token.window_count) == ("Renamed", 30, 0)
