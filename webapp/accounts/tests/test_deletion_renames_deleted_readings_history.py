"""Deleting an account renames the admin history's entries about all its readings, those of
readings deleted earlier included: "Reading 296 (covid) of user 3", an outcome tied to the
account's id, stayed in the history of a reading an administrator had deleted before."""
import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from webapp.screening.models import Reading

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_entries_of_readings_deleted_earlier_lose_their_outcome(superuser_client, bob, alice,
                                                                make_reading, xray_paths):
    kept, gone = (make_reading(bob, xray_paths["covid"][0]) for _ in range(2))
    alices = make_reading(alice, xray_paths["covid"][0])
    # Another account's reading whose name merely ends like bob's id with a digit more.
    lookalike = LogEntry.objects.create(
        user_id=alice.pk, content_type=ContentType.objects.get_for_model(Reading),
        object_id="999", object_repr=f"Reading 999 (covid) of user {bob.pk}1", action_flag=CHANGE)
    superuser_client.get(f"/admin/screening/reading/{kept.pk}/change/")
    superuser_client.post(f"/admin/screening/reading/{gone.pk}/delete/", {"post": "yes"})
    superuser_client.post(f"/admin/screening/reading/{alices.pk}/delete/", {"post": "yes"})
    deleted = LogEntry.objects.get(action_flag=DELETION, object_id=str(gone.pk))
    assert deleted.object_repr == f"Reading {gone.pk} ({gone.outcome}) of user {bob.pk}"
    LogEntry.objects.log_actions(user_id=alice.pk, queryset=[kept], action_flag=CHANGE,
                                 change_message="Changed note.")

    superuser_client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk=bob.pk).exists()

    deleted.refresh_from_db()
    assert deleted.object_repr.startswith(f"Reading {gone.pk} of deleted-account-")
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Reading))
    assert not entries.filter(object_repr__contains=f"of user {bob.pk}").exclude(pk=lookalike.pk)
    assert entries.get(object_id=str(kept.pk)).object_repr.startswith(f"Reading {kept.pk} of deleted-")
    lookalike.refresh_from_db()
    assert lookalike.object_repr == f"Reading 999 (covid) of user {bob.pk}1"
    alices_entry = entries.get(object_id=str(alices.pk))
    assert alices_entry.object_repr == str(alices)
