"""An account deleted in the admin site is logged via "admin", as an administrator's reading
events are; it was logged via "page", as if the person had used "Delete my account"."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from webapp.audit.models import Action, AuditEvent

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORD = "quartz-lagoon-violet-73"  # conftest's make_account


def test_each_route_of_deleting_an_account_says_which_it_was(superuser_client, bob, alice,
                                                             bob_client, make_account):
    carol = make_account("carol@example.org")
    superuser_client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    superuser_client.post("/admin/accounts/user/", {
        "action": "delete_selected", "_selected_action": [carol.pk], "post": "yes"})
    bob_client.post(reverse("delete_account"), {"password": PASSWORD})
    assert not User.objects.filter(pk__in=[alice.pk, bob.pk, carol.pk]).exists()

    events = AuditEvent.objects.filter(action__in=[Action.ADMIN_DELETE_ACCOUNT, Action.DELETE_ACCOUNT])
    assert sorted(events.values_list("action", "via")) == [
        (Action.ADMIN_DELETE_ACCOUNT, "admin"), (Action.ADMIN_DELETE_ACCOUNT, "admin"),
        (Action.DELETE_ACCOUNT, "page")]
