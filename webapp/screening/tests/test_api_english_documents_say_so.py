"""The FHIR DiagnosticReport and the OpenAPI document are in English whoever asks, but answered
`Content-Language: id` to an Indonesian reader (LocaleMiddleware's active language)."""
from __future__ import annotations

from django.test import Client
from django.urls import reverse

from webapp.screening.models import ApiToken
from webapp.tests.support.screening_helpers import store_reading


def test_the_openapi_document_says_it_is_english(db):
    response = Client().get(reverse("api:openapi"), HTTP_ACCEPT_LANGUAGE="id")
    assert response["Content-Language"] == "en"


def test_the_fhir_report_says_it_is_english(patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    _token, key = ApiToken.issue(patient)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(
        reverse("api:fhir", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
