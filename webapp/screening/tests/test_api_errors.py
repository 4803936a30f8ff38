"""One error shape under /api/ (RFC 9457 problems with a stable code), whoever raises the
error, and an OpenAPI document that names every status, the links and the upload rules."""
from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from webapp.screening.api_models import ApiToken
from webapp.screening.api_problems import MAX_REQUEST_LINE
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "error"}


@pytest.fixture
def api(patient):
    _token, key = ApiToken.issue(patient)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = json.loads(response.content)
    assert PROBLEM_KEYS <= set(body)
    assert (body["status"], body["code"], body["type"]) == (status, code, "about:blank")
    assert body["error"] == {"code": code, "message": body["detail"], **(
        {"advice": body["advice"]} if body.get("advice") else {})}
    assert response["Cache-Control"] == "private, no-store"
    return body


def test_the_media_type_is_problem_json_when_asked_for(api):
    asked = api.get("/api/v1/readings/0/", HTTP_ACCEPT="application/problem+json, application/json")
    assert asked["Content-Type"] == "application/problem+json"
    assert_problem(asked, 404, "not_found")
    assert api.get("/api/v1/readings/0/")["Content-Type"] == "application/json"


def test_bad_parameters_name_themselves_in_errors(api):
    body = assert_problem(api.get(reverse("api:readings") + "?page_size=101"), 400, "bad_request")
    assert body["errors"] == [{"location": "query", "name": "page_size",
                               "message": "page_size must be a whole number from 1 to 100."}]


def test_a_crash_anywhere_is_a_json_500_under_api_and_the_html_page_elsewhere(
        api, patient, monkeypatch, model_dir, media_root, xray_paths):
    """Even an exception in a middleware after the view (here the audit log's) is a problem."""
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log's database is gone")

    monkeypatch.setattr("webapp.audit.middleware.record", broken)
    api.raise_request_exception = False
    assert_problem(api.get(reverse("api:reading", args=[reading.pk])), 500, "server_error")
    page = Client(raise_request_exception=False)
    page.force_login(patient)
    crashed = page.get(reverse("screening:detail", args=[reading.pk]))
    assert crashed.status_code == 500 and crashed["Content-Type"].startswith("text/html")


def test_errors_raised_before_the_view_are_problems_too(api, settings):
    # A Host header the site does not serve: Django's 400 before any URL is resolved.
    assert_problem(api.get(reverse("api:readings"), HTTP_HOST="attacker.example"), 400, "bad_request")
    # A request line over the limit: 414 (gunicorn passes it on, see test_api_server.py).
    long_query = "?x=" + "a" * MAX_REQUEST_LINE
    assert_problem(api.get(reverse("api:readings") + long_query), 414, "uri_too_long")
    # Routing: no such route, and a method the route does not take (Allow lists HEAD too).
    assert_problem(api.get("/api/v1/readings/1/nothing"), 404, "not_found")
    refused = assert_problem(api.patch(reverse("api:readings_batch")), 405, "method_not_allowed")
    assert refused and api.patch(reverse("api:readings_batch"))["Allow"] == "POST"
    assert api.options(reverse("api:readings"))["Allow"] == "GET, HEAD, POST"


def test_head_answers_like_get_without_a_body(api):
    response = api.head(reverse("api:readings"))
    assert response.status_code == 200 and response.content == b""


def test_pages_carry_next_and_previous_links_in_body_and_header(api, patient, model_dir,
                                                                 media_root, xray_paths):
    for _ in range(3):
        store_reading(patient, model_dir, xray_paths["normal"][0])
    first = api.get(reverse("api:readings") + "?page_size=2")
    assert first.json()["next"].endswith("/api/v1/readings/?page=2&page_size=2")
    assert first["Link"] == f'<{first.json()["next"]}>; rel="next"'
    second = api.get(first.json()["next"])
    assert second["Link"] == f'<{second.json()["previous"]}>; rel="prev"'
    assert second.json()["next"] is None


# --- the generated OpenAPI document -----------------------------------------------------------------

@pytest.fixture
def schema(client):
    response = client.get(reverse("api:openapi"))

    def no_duplicate_keys(pairs):  # json.loads would keep the last silently; Swagger UI refuses
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    return json.loads(response.content, object_pairs_hook=no_duplicate_keys)


def test_every_operation_documents_its_error_statuses_as_problems(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert {"400", "414", "500"} <= statuses, (method, path)
            if "security" in operation:  # operations that need a key
                assert {"401", "429"} <= statuses, (method, path)
                assert operation["responses"]["429"]["headers"]["Retry-After"]["required"]
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]
                    assert set(content) == {"application/json", "application/problem+json"}
    upload = schema["paths"]["/readings/"]["post"]
    assert {"201", "409", "413", "415", "422", "503"} <= set(upload["responses"])
    assert "/readings/{id}/" in schema["paths"] and "404" in schema["paths"]["/readings/{id}/"]["delete"]["responses"]


def test_the_upload_says_what_a_valid_upload_is_and_links_to_what_follows(schema):
    upload = schema["paths"]["/readings/"]["post"]
    body = upload["requestBody"]
    assert "PNG, JPEG, TIFF, BMP or DICOM" in body["description"] and "not_a_chest_xray" in body["description"]
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["image"]
    header = next(p for p in upload["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required")
    links = upload["responses"]["201"]["links"]
    assert links["GetReading"] == {"operationId": "getReading", "parameters": {"id": "$response.body#/id"},
                                   "description": "Read the reading again"}
    assert links["DeleteReading"]["operationId"] == "deleteReading"
    operation_ids = {op["operationId"] for methods in schema["paths"].values() for op in methods.values()}
    every_link = [link for methods in schema["paths"].values() for op in methods.values()
                  for response in op["responses"].values() for link in response.get("links", {}).values()]
    assert every_link and {link["operationId"] for link in every_link} <= operation_ids


def test_the_document_is_openapi_3_0_with_nullable_not_null_types(schema):
    assert schema["openapi"] == "3.0.3" and schema["servers"] == [{"url": "/api/v1"}]
    text = json.dumps(schema)
    assert '"type": "null"' not in text and '"anyOf"' not in text
    label = schema["components"]["schemas"]["Reading"]["properties"]["label"]
    assert label["nullable"] and None in label["enum"]


def test_the_interactive_docs_use_bundled_files_only(patient_client):
    assert Client().get(reverse("api:docs"))["Location"].startswith(reverse("login"))
    html = patient_client.get(reverse("api:docs")).content.decode()
    assert "swagger-ui-bundle.js" in html and "swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert '<script id="swagger-settings" type="application/json">' in html
    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(name), name


def test_the_english_reference_is_marked_english_on_an_indonesian_page(patient_client):
    # The page's own words follow the reader; Swagger UI and the OpenAPI text are English, and a
    # screen reader must pronounce them so.
    html = patient_client.get(reverse("api:docs"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert '<html lang="id">' in html and '<div id="swagger-ui" lang="en">' in html
