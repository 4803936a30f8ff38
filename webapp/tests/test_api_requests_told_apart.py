"""Whether a request is one of the JSON API's is decided one way everywhere
(webapp.screening.api_problems.is_api_path): by the path inside the site (path_info), so a site
served under a prefix (SCRIPT_NAME, e.g. /cxr behind a proxy) tells API requests from pages as
one served at the root does. The 404 answer, the 405 page, the audit log's `via` and the API's
error middleware all agree."""
from __future__ import annotations

import pytest
from django.http import HttpResponseNotAllowed
from django.test import RequestFactory

from webapp import views
from webapp.audit.log import record
from webapp.audit.models import Action
from webapp.error_pages import MethodNotAllowedPageMiddleware
from webapp.screening.api_problems import ApiErrorMiddleware, is_api_path

# (path inside the site, whether it is the API's)
PATHS = [("/api/v1/readings/", True), ("/api", True), ("/api/", True),
         ("/screening/history/", False), ("/apis/", False), ("/", False)]
PREFIXES = ["", "/cxr"]


def _request(prefix: str, path: str):
    return RequestFactory().get(path, SCRIPT_NAME=prefix)


def _not_found_is_json(request) -> bool:
    return views.page_not_found(request)["Content-Type"].startswith("application/")


def _405_left_empty(request) -> bool:
    answer = MethodNotAllowedPageMiddleware(lambda r: HttpResponseNotAllowed(["GET"]))(request)
    return not answer.content


def _audited_as_api(request) -> bool:
    return record(request, Action.VIEW, 1).via == "api"


def _error_becomes_a_problem(request) -> bool:
    answer = ApiErrorMiddleware(lambda r: HttpResponseNotAllowed(["GET"]))(request)
    return bool(answer.content) and answer["Content-Type"].startswith("application/")


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("path", "api"), PATHS)
def test_every_part_of_the_site_tells_api_requests_the_same_way(prefix, path, api):
    request = _request(prefix, path)
    assert request.path == prefix + path and request.path_info == path
    assert is_api_path(request) is api
    decisions = {check.__name__: check(_request(prefix, path))
                 for check in (_not_found_is_json, _405_left_empty, _audited_as_api, _error_becomes_a_problem)}
    assert decisions == dict.fromkeys(decisions, api)
