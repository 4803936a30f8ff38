"""API keys: hashed at rest, named, expiring, revocable on the API key page, rate-limited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from webapp.screening.api_models import ApiToken, hash_key

pytestmark = pytest.mark.django_db


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def new_key_from(page) -> str:
    return re.search(r'data-testid="new-api-key">([^<]+)<', page.content.decode()).group(1)


def test_only_the_hash_is_stored_and_the_key_works_until_revoked(patient, patient_client,
                                                                user_password):
    page = patient_client.post(reverse("screening:api_token"),
                               {"action": "create", "name": "PACS bridge", "expires_in_days": "30",
                                "current_password": user_password})
    key = new_key_from(page)
    token = ApiToken.objects.get(user=patient)
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert token.name == "PACS bridge"
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert api(key).get(reverse("api:readings")).status_code == 200

    patient_client.post(reverse("screening:api_token"), {"action": "revoke", "token": token.pk})
    refused = api(key).get(reverse("api:readings"))
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"


def test_the_page_lists_every_key_and_revokes_only_the_owners(patient, patient_client, make_user):
    first, _ = ApiToken.issue(patient, name="Script A")
    second, second_key = ApiToken.issue(patient, name="Script B", expires_in=timedelta(days=-1))
    stranger = make_user()
    theirs, their_key = ApiToken.issue(stranger, name="Not yours")
    html = patient_client.get(reverse("screening:api_token")).content.decode()
    assert html.count('data-testid="api-key-item"') == 2
    assert "Script A" in html and "Script B" in html and "Not yours" not in html
    assert "Expired" in html  # Script B's expiry has passed

    patient_client.post(reverse("screening:api_token"), {"action": "revoke", "token": theirs.pk})
    assert ApiToken.user_for_key(their_key) == stranger  # another user's key is out of reach
    for bad in ("", "x", str(2**64), "-1"):  # no row can have these: nothing happens, no 500
        assert patient_client.post(reverse("screening:api_token"),
                                   {"action": "revoke", "token": bad}).status_code == 302
    assert ApiToken.objects.filter(user=patient).count() == 2


def test_an_expired_key_is_refused_with_its_own_code(patient):
    _token, key = ApiToken.issue(patient, expires_in=timedelta(seconds=-1))
    response = api(key).get(reverse("api:readings"))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"] == "Token"


def test_a_key_past_its_rate_limit_gets_429_with_retry_after(patient):
    _token, key = ApiToken.issue(patient, rate_limit=3)
    client = api(key)
    statuses = [client.get(reverse("api:readings")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(reverse("api:readings"))
    body = limited.json()
    assert body["code"] == "rate_limited" and body["status"] == 429
    assert 1 <= int(limited["Retry-After"]) <= 60 and body["retry_after"] == int(limited["Retry-After"])
    # Another key of the same user shares the account's count: twenty keys made twenty times
    # the limit (the security audit).
    _other, other_key = ApiToken.issue(patient, rate_limit=3)
    assert api(other_key).get(reverse("api:readings")).status_code == 429


def test_an_accounts_keys_share_one_limit_and_other_accounts_keep_theirs(patient, alice):
    keys = [ApiToken.issue(patient, rate_limit=4)[1] for _ in range(3)]
    statuses = [api(key).get(reverse("api:readings")).status_code for key in keys + keys]
    assert statuses == [200, 200, 200, 200, 429, 429]
    _token, alices = ApiToken.issue(alice, rate_limit=4)
    assert api(alices).get(reverse("api:readings")).status_code == 200


def test_the_count_starts_again_in_the_next_window(patient):
    token, _key = ApiToken.issue(patient, rate_limit=2)
    start = timezone.now().replace(second=0, microsecond=0)
    assert [token.count_request(start + timedelta(seconds=s))[0] for s in (1, 2, 3)] == [True, True, False]
    allowed, retry_after = token.count_request(start + timedelta(seconds=30))
    assert not allowed and retry_after == 30
    assert token.count_request(start + timedelta(seconds=61)) == (True, 59)


def test_the_page_refuses_more_than_the_most_keys(patient, patient_client, user_password):
    from webapp.screening.api_keys import MAX_KEYS_PER_USER

    for n in range(MAX_KEYS_PER_USER):
        ApiToken.issue(patient, name=f"k{n}")
    page = patient_client.post(reverse("screening:api_token"), {
        "action": "create", "name": "one more", "current_password": user_password})
    assert page.status_code == 400 and 'data-testid="new-api-key"' not in page.content.decode()
    assert ApiToken.objects.filter(user=patient).count() == MAX_KEYS_PER_USER
