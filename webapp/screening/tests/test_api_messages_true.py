"""What the API and the API key page tell a person is true and usable: an over-long
patient_reference was refused with "at most 256 characters" while the rule is 64 (after
tidying); an expired key's message named the API key page without saying where it is; the key
page's curl example used $(uuidgen), missing on many systems (curl then sent an empty
Idempotency-Key)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("length", [65, 300])
def test_an_over_long_reference_is_refused_with_the_real_rule(doctor, model_dir, media_root,
                                                              xray_paths, length):
    _token, key = ApiToken.issue(doctor)
    path = xray_paths["covid"][0]
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").post(reverse("api:readings"), {
        "image": SimpleUploadedFile(path.name, path.read_bytes(), "image/png"),
        "patient_reference": "R" * length})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "at most 64 characters" in detail and "256" not in detail


def test_an_expired_keys_message_says_where_the_key_page_is(patient):
    _token, key = ApiToken.issue(patient, expires_in=timedelta(days=-1))
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:readings"))
    assert response.json()["code"] == "token_expired"
    assert reverse("screening:api_token") in response.json()["detail"]


def test_the_curl_example_needs_no_uuidgen(patient_client):
    page = patient_client.get(reverse("screening:api_token")).content.decode()
    assert "uuidgen" not in page
    assert "python3 -c &#x27;import uuid" in page or "python3 -c 'import uuid" in page
