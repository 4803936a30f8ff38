"""The admin site's history (LogEntry) cascades with the account that made it: an administrator's
"Delete my account" would take their record of what they did there, the accounts they deleted
included. It is refused; and a deleted account's readings are no longer named with their outcome
in the history that stays."""
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db
PASSWORD = "quartz-lagoon-violet-73"  # conftest's make_account


@pytest.mark.parametrize("language, words", [("en", "Another administrator must first remove your staff"),
                                             ("id", "Administrator lain harus terlebih dahulu mencabut")])
def test_an_administrator_cannot_delete_their_own_account(superuser_client, bob, language, words):
    LogEntry.objects.log_actions(user_id=superuser_client.admin.pk, queryset=[bob],
                                 action_flag=CHANGE, change_message="Changed full name.")
    with translation.override(language):
        page = superuser_client.get(reverse("delete_account"), HTTP_ACCEPT_LANGUAGE=language)
        refused = superuser_client.post(reverse("delete_account"),
                                        {"password": superuser_client.password},
                                        HTTP_ACCEPT_LANGUAGE=language)
    assert words in page.content.decode() and 'name="password"' not in page.content.decode()
    assert refused.status_code == 403
    assert User.objects.filter(pk=superuser_client.admin.pk).exists()
    assert LogEntry.objects.filter(user=superuser_client.admin).count() == 1


def test_the_history_of_a_deleted_accounts_readings_names_no_outcome(superuser_client, bob,
                                                                     bob_client, make_reading,
                                                                     xray_paths):
    reading = make_reading(bob, xray_paths["covid"][0])
    LogEntry.objects.log_actions(user_id=superuser_client.admin.pk, queryset=[reading],
                                 action_flag=CHANGE, change_message="Changed note.")
    assert LogEntry.objects.get().object_repr == str(reading)

    bob_client.post(reverse("delete_account"), {"password": PASSWORD})
    assert not User.objects.filter(pk=bob.pk).exists()
    entry = LogEntry.objects.get()
    assert reading.outcome not in entry.object_repr and f"user {bob.pk}" not in entry.object_repr
    assert entry.object_repr.startswith(f"Reading {reading.pk} of deleted-account-")
