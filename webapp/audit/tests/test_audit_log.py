"""The audit log records who viewed, downloaded, changed or deleted which reading."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webapp.audit.middleware import AUDITED, NOT_AUDITED
from webapp.audit.models import Action, AuditEvent
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.security_helpers import all_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading(make_reading, alice, xray_paths):
    return make_reading(alice, xray_paths["normal"][0])


def events():
    return [(e.actor_email, e.action, e.reading_id, e.via) for e in AuditEvent.objects.order_by("id")]


def test_every_reading_route_is_audited_or_deliberately_not():
    reading_routes = {r.name for r in all_routes() if r.takes_object_id and not r.name.startswith("admin:")}
    decided = {name for name, _method in AUDITED} | set(NOT_AUDITED)
    assert reading_routes - decided == set()
    assert decided - reading_routes == set()  # no stale names after a route is renamed


def test_views_and_downloads_on_the_pages_are_logged(reading, alice_client):
    for name in ("detail", "original", "heatmap", "overlay", "report", "report_pdf"):
        assert alice_client.get(reverse(f"screening:{name}", args=[reading.pk])).status_code == 200
    alice_client.get(reverse("screening:thumbnail", args=[reading.pk]))
    email = "alice@example.org"
    assert events() == [
        (email, Action.VIEW, reading.pk, "page"),
        (email, Action.DOWNLOAD_IMAGE, reading.pk, "page"),
        (email, Action.DOWNLOAD_IMAGE, reading.pk, "page"),
        (email, Action.DOWNLOAD_IMAGE, reading.pk, "page"),
        (email, Action.VIEW, reading.pk, "page"),
        (email, Action.DOWNLOAD_REPORT, reading.pk, "page"),
    ]
    event = AuditEvent.objects.order_by("id").first()
    assert event.actor.email == email and event.ip_address == "127.0.0.1"
    assert event.path == reverse("screening:detail", args=[reading.pk])


def test_api_access_is_logged_with_the_tokens_user(reading, alice):
    _token, key = ApiToken.issue(alice)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api:reading", args=[reading.pk])).status_code == 200
    assert api.get(reverse("api:image", args=[reading.pk])).status_code == 200
    assert api.get(reverse("api:report_pdf", args=[reading.pk])).status_code == 200
    assert api.delete(reverse("api:reading", args=[reading.pk])).status_code == 204
    assert [(a, r, v) for _e, a, r, v in events()] == [
        (Action.VIEW, reading.pk, "api"), (Action.DOWNLOAD_IMAGE, reading.pk, "api"),
        (Action.DOWNLOAD_REPORT, reading.pk, "api"), (Action.DELETE, reading.pk, "api"),
    ]


def test_a_deletion_is_logged_and_the_trail_outlives_the_reading(reading, alice_client,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.get(reverse("screening:delete", args=[reading.pk])).status_code == 200
        response = alice_client.post(reverse("screening:delete", args=[reading.pk]))
    assert response.status_code == 302
    assert not Reading.objects.filter(pk=reading.pk).exists()
    # The confirmation page (GET) changes nothing and is not a deletion.
    assert events() == [("alice@example.org", Action.DELETE, reading.pk, "page")]


def test_an_annotation_is_logged(reading, alice_client):
    response = alice_client.post(reverse("screening:annotate", args=[reading.pk]),
                                 {"patient_reference": "MRN-1", "note": "seen"})
    assert response.status_code == 302
    assert events() == [("alice@example.org", Action.ANNOTATE, reading.pk, "page")]


def test_probing_other_peoples_readings_is_logged_as_denied(reading, bob, bob_client):
    assert bob_client.get(reverse("screening:detail", args=[reading.pk])).status_code == 404
    assert bob_client.get(reverse("screening:original", args=[reading.pk + 50])).status_code == 404
    # One row counts both (test_denied_requests_collapsed.py): the first id, and the last.
    assert events() == [("bob@example.org", Action.DENIED, reading.pk, "page")]
    assert AuditEvent.objects.values_list("times", "last_reading_id").get() == (2, reading.pk + 50)


def test_anonymous_requests_and_other_pages_write_nothing(reading, alice_client):
    Client().get(reverse("screening:detail", args=[reading.pk]))
    alice_client.get(reverse("screening:history"))
    alice_client.get(reverse("home"))
    assert events() == []


def test_behind_a_proxy_the_visitors_address_is_logged(reading, alice_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    alice_client.get(reverse("screening:detail", args=[reading.pk]),
                     HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23", REMOTE_ADDR="10.0.0.2")
    assert AuditEvent.objects.get().ip_address == "198.51.100.23"


def test_the_admin_shows_the_log_read_only(reading, alice_client, make_account):
    alice_client.get(reverse("screening:detail", args=[reading.pk]))
    admin_user = make_account("admin@example.org")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200 and "alice@example.org" in listing.content.decode()
    event = AuditEvent.objects.get()
    assert admin.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert admin.post(reverse("admin:audit_auditevent_delete", args=[event.pk]),
                      {"post": "yes"}).status_code == 403
    change = admin.post(reverse("admin:audit_auditevent_change", args=[event.pk]),
                        {"action": "delete", "actor_email": "someone@else.org"})
    assert change.status_code == 403
    event.refresh_from_db()
    assert (event.action, event.actor_email) == (Action.VIEW, "alice@example.org")


def test_an_id_no_reading_can_have_is_logged_without_it(alice):
    """What a URL holds must never crash the log (once an OverflowError and a 500 for 2**63)."""
    from django.test import RequestFactory

    from webapp.audit.log import record

    request = RequestFactory().get("/screening/readings/9223372036854775808/")
    request.user = alice
    largest = 2**63 - 1
    for reading_id in (2**63, 10**30, -(2**63) - 1, -1, 0, "abc", "9" * 5000, None, 1.5e300):
        event = record(request, Action.DENIED, reading_id)
        event.refresh_from_db()
        assert event.reading_id is None, reading_id
        assert event.path == "/screening/readings/9223372036854775808/"
    assert record(request, Action.DENIED, largest).reading_id == largest
    assert AuditEvent.objects.get(reading_id=largest).actor_email == "alice@example.org"


def test_requests_for_impossible_ids_answer_404_and_log_nothing(alice, alice_client):
    _token, key = ApiToken.issue(alice)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for pk in (2**63, 10**30):
        for path in ("", "image.png", "heatmap.png", "overlay.png", "report.pdf"):
            assert api.get(f"/api/v1/readings/{pk}/{path}").status_code == 404
        assert api.delete(f"/api/v1/readings/{pk}/").status_code == 404
        assert alice_client.get(f"/screening/readings/{pk}/").status_code == 404
        assert alice_client.post(f"/screening/readings/{pk}/delete/").status_code == 404
    assert events() == []
