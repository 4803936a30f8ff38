"""The JSON API /api/v1/: tokens, the reading lifecycle, errors, and the OpenAPI document."""
from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from PIL import Image

from webapp.screening import api_urls, api_views, converters
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import (
    astronaut_jpeg,
    store_reading,
)
from webapp.tests.support.security_helpers import stored_files


@pytest.fixture
def api_key(patient):
    _token, key = ApiToken.issue(patient)
    return key


@pytest.fixture
def api(api_key):
    """A client without a session that sends the patient's API key."""
    return Client(HTTP_AUTHORIZATION=f"Token {api_key}")


def post_image(client, name: str, data: bytes, content_type="application/octet-stream"):
    return client.post(reverse("api:readings"),
                       {"image": SimpleUploadedFile(name, data, content_type=content_type)})


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


# --- the API key page -----------------------------------------------------------------------------

def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(patient_client, patient, user_password):
    page = patient_client.post(reverse("screening:api_token"), {
        "action": "create", "name": "PACS", "current_password": user_password})
    html = page.content.decode()
    key = re.search(r'data-testid="new-api-key">([^<]+)<', html).group(1)
    token = ApiToken.objects.get(user=patient)
    assert key not in token.key_hash and token.prefix == key[:8] and token.name == "PACS"
    assert ApiToken.user_for_key(key) == patient
    assert "no-store" in page["Cache-Control"]

    again = patient_client.get(reverse("screening:api_token")).content.decode()
    assert key not in again and token.prefix in again and "PACS" in again

    # Since API 2.1 a user holds several named keys: a second key leaves the first working.
    patient_client.post(reverse("screening:api_token"), {
        "action": "create", "name": "Script", "current_password": user_password})
    assert ApiToken.user_for_key(key) == patient
    assert ApiToken.objects.filter(user=patient).count() == 2

    patient_client.post(reverse("screening:api_token"), {"action": "revoke", "token": token.pk})
    assert ApiToken.user_for_key(key) is None
    assert list(ApiToken.objects.filter(user=patient).values_list("name", flat=True)) == ["Script"]


# --- the reading lifecycle ------------------------------------------------------------------------

def test_screen_list_fetch_and_delete_through_the_api(api, patient, model_dir, media_root, xray_paths,
                                                      django_capture_on_commit_callbacks):
    path = xray_paths["covid"][0]
    created = post_image(api, path.name, path.read_bytes(), "image/png")
    assert created.status_code == 201, created.content[:300]
    body = created.json()
    reading = Reading.objects.get(pk=body["id"])
    assert reading.owner == patient
    assert created["Location"].endswith(reverse("api:reading", args=[reading.pk]))
    assert body["outcome"] == reading.outcome
    assert body["probabilities"] == pytest.approx(reading.probabilities)
    assert "RT-PCR" in body["disclaimer"]
    assert "emergency department" in body["emergency"]  # as every page says it, whatever the reading
    assert "patient_reference" not in body  # doctors only

    listing = api.get(reverse("api:readings")).json()
    assert listing["count"] == 1 and [r["id"] for r in listing["results"]] == [reading.pk]

    detail = api.get(body["links"]["self"])
    assert detail.status_code == 200 and detail.json()["id"] == reading.pk

    heatmap = api.get(body["links"]["heatmap"])
    assert heatmap["Content-Type"] == "image/png"
    assert heatmap["Cache-Control"] == "private, no-store"
    with Image.open(io.BytesIO(b"".join(heatmap.streaming_content))) as img:
        assert img.mode == "RGBA"
    assert api.get(body["links"]["report_pdf"]).content.startswith(b"%PDF")

    with django_capture_on_commit_callbacks(execute=True):
        deleted = api.delete(body["links"]["self"])
    assert deleted.status_code == 204
    assert not Reading.objects.exists()
    assert stored_files(media_root) == []
    assert_error(api.get(body["links"]["self"]), 404, "not_found")


def test_listing_is_paginated_newest_first(api, patient, model_dir, media_root, xray_paths):
    readings = [store_reading(patient, model_dir, xray_paths["normal"][0]) for _ in range(3)]
    first = api.get(reverse("api:readings") + "?page_size=2").json()
    assert first["count"] == 3 and first["pages"] == 2
    assert [r["id"] for r in first["results"]] == [readings[2].pk, readings[1].pk]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [readings[0].pk]
    assert_error(api.get(reverse("api:readings") + "?page=9"), 404, "not_found")
    assert_error(api.get(reverse("api:readings") + "?page=zero"), 400, "bad_request")


def test_doctors_get_their_patient_reference(doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-7", note="x")
    _token, key = ApiToken.issue(doctor)
    result = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:readings")).json()["results"][0]
    assert (result["patient_reference"], result["note"]) == ("MRN-7", "x")


# --- authentication -------------------------------------------------------------------------------

def test_requests_without_a_valid_key_are_refused(client, patient, media_root):
    response = client.get(reverse("api:readings"))
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert_error(Client(HTTP_AUTHORIZATION="Token wrong").get(reverse("api:readings")), 401, "not_authenticated")
    assert_error(Client(HTTP_AUTHORIZATION="Bearer abc").get(reverse("api:readings")), 401, "not_authenticated")


def test_a_session_may_read_but_not_write(patient_client, patient, model_dir, media_root, xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    assert patient_client.get(reverse("api:readings")).json()["count"] == 1
    path = xray_paths["covid"][0]
    assert_error(post_image(patient_client, path.name, path.read_bytes()), 401, "not_authenticated")
    assert_error(patient_client.delete(reverse("api:reading", args=[reading.pk])), 401, "not_authenticated")
    assert Reading.objects.filter(pk=reading.pk).exists()


def test_an_inactive_users_key_stops_working(api, patient, media_root):
    patient.is_active = False
    patient.save()
    assert_error(api.get(reverse("api:readings")), 401, "not_authenticated")


# --- errors ---------------------------------------------------------------------------------------

def test_upload_errors_have_meaningful_codes_and_store_nothing(api, model_dir, media_root, settings,
                                                               xray_paths):
    assert_error(api.post(reverse("api:readings"), {}), 400, "no_file")
    assert_error(post_image(api, "a.txt", b"hello " * 50, "text/plain"), 415, "unsupported_format")
    half = xray_paths["normal"][0].read_bytes()
    assert_error(post_image(api, "a.png", half[: len(half) // 2]), 422, "corrupt_image")
    refused = assert_error(post_image(api, "me.jpg", astronaut_jpeg(), "image/jpeg"), 422, "not_a_chest_xray")
    assert refused["error"]["advice"]
    settings.MAX_UPLOAD_BYTES = 5_000
    assert_error(post_image(api, "a.png", xray_paths["normal"][0].read_bytes()), 413, "too_large")
    assert not Reading.objects.exists()
    assert stored_files(media_root) == []


def test_no_model_installed_is_a_503(api, settings, tmp_path, media_root, xray_paths):
    settings.CXR_MODEL_DIR = str(tmp_path / "nothing")
    path = xray_paths["covid"][0]
    assert_error(post_image(api, path.name, path.read_bytes()), 503, "model_not_installed")


def test_wrong_methods_and_unknown_routes_answer_json(api, media_root):
    assert_error(api.put(reverse("api:readings")), 405, "method_not_allowed")
    assert api.put(reverse("api:readings"))["Allow"] == "GET, HEAD, POST"
    assert_error(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(api.get("/api/v1/readings"), 404, "not_found")


@pytest.mark.parametrize("path", [
    "/api/v1/readings/a%0A/", "/api/v1/readings/1%0A/", "/api/v1/readings/1/%0A",
    "/api/v1/%0A", "/api/v1/readings/%0A/image.png", "/api/v1/readings/1%0D%0A/",
    "/api/v1/readings/9223372036854775808/", "/api/v1/readings/0/", "/api/v1/readings/-1/",
    "/api/v2/readings/", "/api/", "/api/x%0A", "/api/v1/openapi.json%0A",
])
def test_every_404_under_api_is_json_whatever_the_path(path, api, client):
    """A newline in the path once slipped past the catch-all into Django's HTML 404 page."""
    for response in (api.get(path), api.delete(path), api.post(path), client.get(path)):
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize(("query", "parameter"), [
    ("page_size=101", "page_size"), ("page_size=1000000000000000000000", "page_size"),
    ("page_size=0", "page_size"), ("page_size=-1", "page_size"), ("page_size=", "page_size"),
    ("page_size=%2B5", "page_size"), ("page_size=%205", "page_size"), ("page_size=5.0", "page_size"),
    ("page_size=%D9%A5", "page_size"), ("page_size=1_0", "page_size"), ("page_size=x", "page_size"),
    ("page=", "page"), ("page=0", "page"), ("page=-1", "page"), ("page=one", "page"),
    ("page=1e2", "page"), ("page=1&page_size=", "page_size"), ("page=" + "9" * 5000, "page"),
])
def test_bad_paging_parameters_are_a_400_naming_the_parameter(api, query, parameter):
    """page_size=101 was once clamped to 100, and empty values taken as absent, both with a 200."""
    body = assert_error(api.get(reverse("api:readings") + "?" + query), 400, "bad_request")
    assert body["error"]["message"].startswith(f"{parameter} must be")


def test_paging_parameters_at_their_limits_are_accepted(api):
    for query in ("", "?page=1", "?page_size=1", "?page_size=100", "?page=1&page_size=100",
                  "?page_size=007"):
        response = api.get(reverse("api:readings") + query)
        assert response.status_code == 200, (query, response.content[:200])
    assert_error(api.get(reverse("api:readings") + "?page=" + "9" * 30), 404, "not_found")


# --- the OpenAPI document -------------------------------------------------------------------------

def _documented_path(pattern: URLPattern) -> str:
    return "/" + str(pattern.pattern).replace("<id:pk>", "{id}")


def test_openapi_document_describes_every_route(client):
    response = client.get(reverse("api:openapi"))
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    # Every route but the catch-all 404 and the interactive docs page (added in 2.1).
    routes = {_documented_path(p) for p in api_urls.urlpatterns if p.name not in ("not_found", "docs")}
    assert routes == set(schema["paths"])
    listing = schema["paths"]["/readings/"]["get"]
    assert "400" in listing["responses"]
    page_size = next(p for p in listing["parameters"] if p["name"] == "page_size")["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, api_views.MAX_PAGE_SIZE)
    ids = schema["paths"]["/readings/{id}/"]["get"]["parameters"][0]["schema"]
    assert (ids["minimum"], ids["maximum"]) == (converters.MIN_ID, converters.MAX_ID)
    # Every $ref points at a defined schema.
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', response.content.decode()))
    assert refs <= set(schema["components"]["schemas"])
