"""A request from nobody signed in may carry only a small body: CsrfViewMiddleware reads and
parses a form POST's body before the login check runs, so an anonymous POST of 150 MB to the
upload page was read and spooled to /tmp in full, then redirected to the login page (the
security audit). Signing in, registering and asking for a reset need a few kilobytes."""
import pytest
from django.test import Client
from django.urls import reverse

from webapp.signed_out_bodies import SIGNED_OUT_BODY_LIMIT

pytestmark = pytest.mark.django_db


def big_form(size: int) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"image": SimpleUploadedFile("x.png", b"\0" * size, content_type="image/png")}


def test_a_large_body_from_nobody_signed_in_is_refused_before_it_is_read():
    response = Client().post(reverse("screening:upload"), big_form(SIGNED_OUT_BODY_LIMIT + 1))
    assert response.status_code == 413
    assert "too large" in response.content.decode() and response["Content-Type"].startswith("text/html")
    api = Client().post("/api/v1/readings/", big_form(SIGNED_OUT_BODY_LIMIT + 1))
    assert api.status_code == 413 and api.json()["status"] == 413


def test_small_forms_from_nobody_signed_in_still_work(patient, user_password):
    response = Client().post(reverse("login"), {"username": patient.email, "password": user_password})
    assert response.status_code == 302


def test_a_signed_in_person_and_an_api_key_may_send_large_bodies(patient_client):
    response = patient_client.post(reverse("screening:upload"), big_form(SIGNED_OUT_BODY_LIMIT + 1))
    assert response.status_code != 413  # read and refused as not an image, as before
    keyed = Client(HTTP_AUTHORIZATION="Token not-a-real-key").post("/api/v1/readings/",
                                                                   big_form(SIGNED_OUT_BODY_LIMIT + 1))
    assert keyed.status_code == 401  # the key is checked, not the size
