"""Every 404 to a signed-in user on a reading route wrote one audit row: a script walking other
people's reading ids, or a client stuck retrying a deleted reading, wrote a row per request,
without end. The probing must stay visible, so the first 404 still writes its row at once; the
account's next ones, from the same address and the same way in (pages or API), within
DENIED_WINDOW of that first one, count on that row (how many, the last id asked for and when)
instead of adding rows."""
from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from webapp.audit.log import DENIED_WINDOW
from webapp.audit.models import Action, AuditEvent
from webapp.screening.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading(make_reading, alice, xray_paths):
    return make_reading(alice, xray_paths["normal"][0])


def test_a_walk_over_other_peoples_ids_is_one_row_that_counts_it(reading, bob_client):
    start = reading.pk
    for offset in range(30):
        assert bob_client.get(reverse("screening:detail", args=[start + offset])).status_code == 404
    bob_client.get(reverse("screening:original", args=[start + 100]))
    row = AuditEvent.objects.get()
    assert (row.actor_email, row.action, row.via) == ("bob@example.org", Action.DENIED, "page")
    assert row.reading_id == start, "the first id asked for"
    assert (row.times, row.last_reading_id) == (31, start + 100)
    assert row.path == reverse("screening:detail", args=[start])
    assert row.at <= row.last_at <= timezone.now()


def test_a_new_window_a_new_address_or_the_api_starts_a_new_row(reading, bob, bob_client):
    detail = reverse("screening:detail", args=[reading.pk])
    bob_client.get(detail)
    bob_client.get(detail)
    AuditEvent.objects.update(at=timezone.now() - DENIED_WINDOW - datetime.timedelta(seconds=1))
    bob_client.get(detail)  # after the window: a new row, so the log keeps when it went on
    bob_client.get(detail, REMOTE_ADDR="203.0.113.9")  # from elsewhere: its own row
    _token, key = ApiToken.issue(bob)
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get(
        reverse("api:reading", args=[reading.pk])).status_code == 404
    rows = list(AuditEvent.objects.order_by("id").values_list("times", "via", "ip_address"))
    assert rows == [(2, "page", "127.0.0.1"), (1, "page", "127.0.0.1"), (1, "page", "203.0.113.9"),
                    (1, "api", "127.0.0.1")]


def test_other_accounts_and_other_events_are_not_counted_in(reading, alice_client, bob_client, make_account):
    carol = Client()
    carol.force_login(make_account("carol@example.org"))
    bob_client.get(reverse("screening:detail", args=[reading.pk]))
    carol.get(reverse("screening:detail", args=[reading.pk]))
    alice_client.get(reverse("screening:detail", args=[reading.pk]))
    alice_client.get(reverse("screening:detail", args=[reading.pk]))
    bob_client.get(reverse("screening:detail", args=[reading.pk + 1]))
    rows = list(AuditEvent.objects.order_by("id").values_list("actor_email", "action", "times"))
    assert rows == [("bob@example.org", Action.DENIED, 2), ("carol@example.org", Action.DENIED, 1),
                    ("alice@example.org", Action.VIEW, 1), ("alice@example.org", Action.VIEW, 1)]


def test_the_admin_list_says_how_often(reading, bob_client, make_account):
    for offset in range(3):
        bob_client.get(reverse("screening:detail", args=[reading.pk + offset]))
    admin_user = make_account("admin@example.org")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert f"3×, last {reading.pk + 2}" in listing
