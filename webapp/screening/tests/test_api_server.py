"""The API through a real gunicorn (the deploy command line's --limit-request-line 0): long
request lines get the API's JSON 414, and the typed client example of docs/ works end to end."""
from __future__ import annotations

import json

import pytest

from webapp.screening.api_problems import MAX_REQUEST_LINE
from webapp.tests.support.live_server import AppServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, stub_model_dir):
    app = AppServer(tmp_path_factory.mktemp("api-server"), stub_model_dir,
                    extra_args=("--workers", "2", "--limit-request-line", "0"))
    app.prepare()
    app.start()
    yield app
    app.stop()


def test_a_request_line_over_the_limit_gets_a_json_414(server):
    auth = {"Authorization": f"Token {server.api_key}"}
    base = "/api/v1/readings/?page=1&x="
    just_under = base + "a" * (MAX_REQUEST_LINE - len("GET  HTTP/1.1") - len(base))
    status, body = server.request("GET", just_under, headers=auth)
    assert status == 200, body[:200]
    for length in (MAX_REQUEST_LINE + 1, 20_000, 500_000):
        status, body = server.request("GET", base + "a" * length, headers=auth)
        assert status == 414
        problem = json.loads(body)
        assert (problem["status"], problem["code"]) == (414, "uri_too_long")


def test_the_typed_client_example_screens_lists_and_deletes(server, docs_api_client, xray_paths):
    client = docs_api_client.ScreeningClient(f"http://127.0.0.1:{server.port}", server.api_key)
    path = xray_paths["normal"][0]
    reading = client.upload(path, idempotency_key="docs-example-1")
    assert reading["id"] >= 1 and "RT-PCR" in reading["disclaimer"]
    assert client.upload(path, idempotency_key="docs-example-1")["id"] == reading["id"]  # a retry
    second = client.upload(xray_paths["covid"][0])
    assert [r["id"] for r in client.readings(page_size=1)] == [second["id"], reading["id"]]
    assert client.reading(reading["id"])["outcome"] == reading["outcome"]
    assert client.heatmap_png(reading["id"]).startswith(b"\x89PNG")
    client.delete(reading["id"])
    with pytest.raises(docs_api_client.ApiError) as gone:
        client.reading(reading["id"])
    assert (gone.value.status, gone.value.code) == (404, "not_found")
    with pytest.raises(docs_api_client.ApiError) as bad_key:
        docs_api_client.ScreeningClient(f"http://127.0.0.1:{server.port}", "wrong").reading(1)
    assert (bad_key.value.status, bad_key.value.code) == (401, "not_authenticated")
