"""The admin site refuses to delete one's own account, and an administrator's account unless a
superuser asks: an account's admin-site history (LogEntry) goes with it, so an administrator could
otherwise wipe the record of what they or a superuser did there."""
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db

SELF_REFUSED = {
    "en": "You cannot delete your own account: your history in the admin site would be deleted "
          "with it. Another superuser can delete it.",
    "id": "Anda tidak dapat menghapus akun Anda sendiri: riwayat Anda di situs admin akan ikut "
          "terhapus. Superuser lain dapat menghapusnya.",
}
SELF_IN_SELECTION = {
    "en": "Nothing was deleted: you cannot delete your own account, your history in the admin "
          "site would be deleted with it. Untick it and try again.",
    "id": "Tidak ada yang dihapus: Anda tidak dapat menghapus akun Anda sendiri, riwayat Anda di "
          "situs admin akan ikut terhapus. Hapus centangnya lalu coba lagi.",
}


@pytest.fixture
def admin_client(superuser_client):
    """`superuser_client` with a history: what the admin did in the admin site, the record
    self-deletion would have taken along."""
    admin = superuser_client.admin
    LogEntry.objects.log_actions(user_id=admin.pk, queryset=[admin], action_flag=CHANGE,
                                 change_message="Changed full name.")
    return superuser_client


@pytest.fixture
def staff_client(make_user):
    """A staff member (not a superuser) who may view, change and delete accounts."""
    staff = make_user(email="staff@example.org", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(
        content_type__app_label="accounts", codename__in=["view_user", "change_user", "delete_user"]))
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


def _shown(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_delete_page_of_ones_own_account_refuses_and_says_why(admin_client, language):
    admin = admin_client.admin
    with translation.override(language):
        page = admin_client.get(f"/admin/accounts/user/{admin.pk}/delete/",
                                HTTP_ACCEPT_LANGUAGE=language, follow=True)
        confirmed = admin_client.post(f"/admin/accounts/user/{admin.pk}/delete/", {"post": "yes"},
                                      HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert page.redirect_chain == [(f"/admin/accounts/user/{admin.pk}/change/", 302)]
    assert _shown(page) == [SELF_REFUSED[language]] == _shown(confirmed)
    assert User.objects.filter(pk=admin.pk).exists()
    assert LogEntry.objects.filter(user=admin).count() == 1


def test_ones_own_change_page_offers_no_delete_link(admin_client, bob):
    own = admin_client.get(f"/admin/accounts/user/{admin_client.admin.pk}/change/")
    other = admin_client.get(f"/admin/accounts/user/{bob.pk}/change/")
    assert 'class="deletelink"' not in own.content.decode()
    assert 'class="deletelink"' in other.content.decode()


@pytest.mark.parametrize("language", ["en", "id"])
def test_delete_selected_with_oneself_ticked_deletes_nobody(admin_client, bob, language):
    admin = admin_client.admin
    for step in ({}, {"post": "yes"}):  # the confirmation page, and its confirmation
        with translation.override(language):
            response = admin_client.post("/admin/accounts/user/", {
                "action": "delete_selected", "_selected_action": [bob.pk, admin.pk], **step},
                HTTP_ACCEPT_LANGUAGE=language, follow=True)
        assert _shown(response) == [SELF_IN_SELECTION[language]]
    assert User.objects.filter(pk__in=[bob.pk, admin.pk]).count() == 2
    assert LogEntry.objects.filter(user=admin).count() == 1


def test_delete_selected_without_oneself_still_deletes(admin_client, bob, alice):
    response = admin_client.post("/admin/accounts/user/", {
        "action": "delete_selected", "_selected_action": [bob.pk, alice.pk], "post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[bob.pk, alice.pk]).exists()


def test_only_a_superuser_deletes_an_administrators_account(staff_client, admin_client, make_user):
    superuser, patient = admin_client.admin, make_user(email="ana@example.org")
    other_staff = make_user(email="other.staff@example.org", is_staff=True)

    single = staff_client.post(f"/admin/accounts/user/{superuser.pk}/delete/", {"post": "yes"},
                               follow=True)
    assert _shown(single) == ["Only a superuser can delete an administrator's account: its "
                              "history in the admin site would be deleted with it."]
    bulk = staff_client.post("/admin/accounts/user/", {
        "action": "delete_selected", "_selected_action": [superuser.pk, other_staff.pk, patient.pk],
        "post": "yes"}, follow=True)
    assert _shown(bulk) == ["Nothing was deleted: only a superuser can delete an administrator's "
                            "account. Untick admin@example.org, other.staff@example.org and try again."]
    assert User.objects.filter(pk__in=[superuser.pk, other_staff.pk, patient.pk]).count() == 3

    # A patient's account, yes; another staff account, only by a superuser.
    staff_client.post("/admin/accounts/user/", {
        "action": "delete_selected", "_selected_action": [patient.pk], "post": "yes"})
    admin_client.post(f"/admin/accounts/user/{other_staff.pk}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk__in=[patient.pk, other_staff.pk]).exists()
