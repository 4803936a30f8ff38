"""The API guide's reference (Swagger UI and the schema) is English only: on an Indonesian page
only the link back was translated, and it looked half translated by mistake (a phone audit). The
page now says, in the reader's language, that the reference is in English."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SAID = "Referensi di bawah ini berbahasa Inggris"


def test_an_indonesian_reader_is_told_the_reference_is_in_english(patient_client):
    patient_client.cookies["django_language"] = "id"
    page = patient_client.get(reverse("api:docs"))
    assert page.status_code == 200
    assert SAID in page.content.decode()


def test_an_english_reader_is_not_told(patient_client):
    page = patient_client.get(reverse("api:docs"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert SAID not in text and 'data-testid="api-docs-in-english"' not in text
