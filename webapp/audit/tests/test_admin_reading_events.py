"""An administrator opening or deleting people's readings in the admin site is an audit event:
the admin's reading page shows the owner, outcome, probabilities and patient reference."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from webapp.audit.models import Action, AuditEvent
from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


# pytest-django's `admin_user` (a superuser, admin@example.com) and its signed-in `admin_client`.
ADMIN = "admin@example.com"


@pytest.fixture
def readings(make_reading, alice, bob, xray_paths):
    return [make_reading(alice, xray_paths["normal"][0]), make_reading(bob, xray_paths["normal"][0])]


def events():
    return [(e.actor_email, e.action, e.reading_id, e.reading_owner_id, e.via)
            for e in AuditEvent.objects.order_by("id")]


def test_an_administrator_viewing_a_reading_is_logged_with_the_admin_as_actor(
        readings, alice, admin_user, admin_client):
    reading = readings[0]
    page = admin_client.get(reverse("admin:screening_reading_change", args=[reading.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.count() == 1
    assert events() == [(ADMIN, Action.ADMIN_VIEW, reading.pk, alice.pk, "admin")]
    event = AuditEvent.objects.get()
    assert event.actor == admin_user and event.ip_address == "127.0.0.1"
    assert event.path == reverse("admin:screening_reading_change", args=[reading.pk])
    with translation.override("en"):
        assert event.get_action_display() == "an administrator viewed the reading"
    with translation.override("id"):
        assert event.get_action_display() != "an administrator viewed the reading"


def test_the_list_and_a_missing_reading_log_no_view(readings, admin_client):
    assert admin_client.get(reverse("admin:screening_reading_changelist")).status_code == 200
    missing = admin_client.get(reverse("admin:screening_reading_change", args=[999999]))
    assert missing.status_code == 302
    assert events() == []


def test_an_administrator_deleting_a_reading_is_logged_once(readings, alice, admin_client):
    reading = readings[0]
    url = reverse("admin:screening_reading_delete", args=[reading.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation page
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Reading.objects.filter(pk=reading.pk).exists()
    assert AuditEvent.objects.count() == 1
    assert events() == [(ADMIN, Action.ADMIN_DELETE, reading.pk, alice.pk, "admin")]


def test_a_bulk_deletion_logs_one_event_per_reading(readings, alice, bob, admin_client):
    answer = admin_client.post(reverse("admin:screening_reading_changelist"), {
        "action": "delete_selected", "_selected_action": [r.pk for r in readings], "post": "yes"})
    assert answer.status_code == 302
    assert Reading.objects.count() == 0
    assert AuditEvent.objects.count() == 2
    assert sorted(events(), key=lambda e: e[2]) == [
        (ADMIN, Action.ADMIN_DELETE, readings[0].pk, alice.pk, "admin"),
        (ADMIN, Action.ADMIN_DELETE, readings[1].pk, bob.pk, "admin"),
    ]


def test_the_owners_trail_finds_the_administrators_events_after_the_deletion(
        readings, alice, admin_client):
    """The event names the owner, not only the reading's id: the reading itself is gone."""
    reading = readings[0]
    admin_client.get(reverse("admin:screening_reading_change", args=[reading.pk]))
    admin_client.post(reverse("admin:screening_reading_delete", args=[reading.pk]), {"post": "yes"})
    assert list(AuditEvent.objects.filter(reading_owner=alice).order_by("id")
                .values_list("action", "reading_id")) == [
        (Action.ADMIN_VIEW, reading.pk), (Action.ADMIN_DELETE, reading.pk)]
