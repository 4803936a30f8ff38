"""Deleting an account leaves no stored session signed in as it (another browser's) and no empty
private folder named after its id."""
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from webapp.screening import storage

pytestmark = pytest.mark.django_db
PASSWORD = "quartz-lagoon-violet-73"  # conftest's make_account


def _sessions_of(user):
    return [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]


def test_no_session_row_and_no_folder_remain(bob, bob_client, alice_client, alice, make_reading, xray_paths,
                                             django_capture_on_commit_callbacks):
    make_reading(bob, xray_paths["normal"][0])
    phone = Client()
    phone.force_login(bob)
    folder = storage.media_root() / str(bob.pk)
    assert folder.is_dir() and len(_sessions_of(bob)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post(reverse("delete_account"), {"password": PASSWORD})
    assert _sessions_of(bob) == []
    assert not folder.exists()
    assert len(_sessions_of(alice)) == 1  # someone else's session stays
