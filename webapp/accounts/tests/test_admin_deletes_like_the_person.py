"""An administrator deleting an account in the admin site forgets the person the way "Delete my
account" does: readings and files go, django-axes' login records go, and the audit log and the
admin's own history keep a pseudonym instead of the email, with no IP address."""
import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from webapp.audit.models import Action, AuditEvent
from webapp.screening import storage

User = get_user_model()
pytestmark = pytest.mark.django_db
BOB_PASSWORD = "quartz-lagoon-violet-73"  # conftest's make_account


def _traces_of(bob, reading):
    """Bob viewed his reading from an address, signed in once, and an admin changed his account."""
    from axes.models import AccessLog

    bob_client = Client()
    bob_client.force_login(bob)
    bob_client.get(reverse("screening:detail", args=[reading.pk]), REMOTE_ADDR="10.1.2.3")
    Client().post(reverse("login"), {"username": bob.email, "password": BOB_PASSWORD})
    admin = User.objects.get(email="admin@example.org")
    LogEntry.objects.log_actions(user_id=admin.pk, queryset=[bob], action_flag=CHANGE,
                                 change_message="Changed full name.")
    assert AuditEvent.objects.filter(actor_email=bob.email, ip_address="10.1.2.3").exists()
    assert AccessLog.objects.filter(username=bob.email).exists()
    assert LogEntry.objects.filter(object_repr=bob.email).exists()


def _assert_forgotten(email, folders):
    from axes.models import AccessLog

    assert not User.objects.filter(email=email).exists()
    assert not any(folder.exists() for folder in folders)
    assert not AccessLog.objects.filter(username=email).exists()
    assert not AuditEvent.objects.filter(actor_email=email).exists()
    assert not LogEntry.objects.filter(object_repr__icontains=email).exists()
    deleted = AuditEvent.objects.filter(action=Action.ADMIN_DELETE_ACCOUNT).order_by("id").last()
    assert deleted.actor_email.startswith("deleted-account-") and deleted.ip_address is None
    return deleted.actor_email


def test_the_admin_delete_page_forgets_the_person(superuser_client, bob, make_reading, xray_paths,
                                                  django_capture_on_commit_callbacks):
    reading = make_reading(bob, xray_paths["normal"][0])
    folder = storage.reading_folder(bob.pk, reading.storage_key)
    _traces_of(bob, reading)

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    pseudonym = _assert_forgotten(bob.email, [folder])
    viewed = AuditEvent.objects.get(action=Action.VIEW)
    assert viewed.actor_email == pseudonym and viewed.ip_address is None
    # Which administrator deleted it stays in the admin's history, under the pseudonym.
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user == superuser_client.admin and entry.object_repr == pseudonym
    assert set(LogEntry.objects.values_list("object_repr", flat=True)) == {pseudonym}


def test_delete_selected_forgets_each_person_apart(superuser_client, bob, alice, make_reading,
                                                   xray_paths, django_capture_on_commit_callbacks):
    readings = [make_reading(bob, xray_paths["normal"][0]), make_reading(alice, xray_paths["covid"][0])]
    folders = [storage.reading_folder(r.owner_id, r.storage_key) for r in readings]
    _traces_of(bob, readings[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post("/admin/accounts/user/", {
            "action": "delete_selected", "_selected_action": [bob.pk, alice.pk], "post": "yes"})
    assert response.status_code == 302

    _assert_forgotten(bob.email, folders[:1])
    _assert_forgotten(alice.email, folders[1:])
    pseudonyms = set(AuditEvent.objects.filter(action=Action.ADMIN_DELETE_ACCOUNT)
                     .values_list("actor_email", flat=True))
    assert len(pseudonyms) == 2  # one per person: the two accounts are not linked
    assert User.objects.filter(pk=superuser_client.admin.pk).exists()


def test_delete_my_account_also_clears_the_admin_history(bob, bob_client, make_reading, xray_paths,
                                                         superuser_client,
                                                         django_capture_on_commit_callbacks):
    reading = make_reading(bob, xray_paths["normal"][0])
    _traces_of(bob, reading)

    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post(reverse("delete_account"), {"password": BOB_PASSWORD})

    assert not LogEntry.objects.filter(object_repr__icontains=bob.email).exists()
    deleted = AuditEvent.objects.get(action=Action.DELETE_ACCOUNT)
    assert LogEntry.objects.get(action_flag=CHANGE).object_repr == deleted.actor_email
