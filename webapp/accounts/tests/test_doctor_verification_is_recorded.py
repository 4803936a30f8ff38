"""Approving or withdrawing a doctor's verification is kept in the account's History (the admin
site's LogEntry): a withdrawal empties "verified at" and "verified by", so without an entry
nothing said who had approved the doctor, nor who withdrew it."""
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.utils import translation

User = get_user_model()
pytestmark = pytest.mark.django_db

APPROVED = {"en": "Approved the doctor verification.", "id": "Menyetujui verifikasi dokter."}
WITHDRAWN = {"en": "Withdrew the doctor verification.", "id": "Mencabut verifikasi dokter."}


def _act(client, action, users, language):
    with translation.override(language):
        return client.post("/admin/accounts/user/", {
            "action": action, "_selected_action": [user.pk for user in users]},
            HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("language", ["en", "id"])
def test_each_approval_and_withdrawal_is_an_entry_of_the_accounts_history(superuser_client,
                                                                          make_user, patient,
                                                                          language):
    sari, budi = (make_user(role="doctor", doctor_verified_at=None, licence_number=f"STR-{n}")
                  for n in (1, 2))
    _act(superuser_client, "approve_doctors", [sari, budi, patient], language)
    _act(superuser_client, "withdraw_doctor_verification", [sari], language)

    for user, messages in ((sari, [APPROVED, WITHDRAWN]), (budi, [APPROVED]), (patient, [])):
        entries = LogEntry.objects.filter(object_id=str(user.pk)).order_by("id")
        assert [entry.get_change_message() for entry in entries] == [m[language] for m in messages]
        assert all(e.user == superuser_client.admin and e.action_flag == CHANGE for e in entries)
    sari.refresh_from_db()
    budi.refresh_from_db()
    assert sari.is_pending_doctor and budi.doctor_verified_by == superuser_client.admin


def test_the_history_page_names_who_approved_after_a_withdrawal(superuser_client, make_user):
    sari = make_user(role="doctor", doctor_verified_at=None, licence_number="STR-1")
    _act(superuser_client, "approve_doctors", [sari], "en")
    _act(superuser_client, "withdraw_doctor_verification", [sari], "en")
    history = superuser_client.get(f"/admin/accounts/user/{sari.pk}/history/").content.decode()
    who = re.escape(f"<td>admin@example.org ({superuser_client.admin.full_name})</td>")
    for message in (APPROVED["en"], WITHDRAWN["en"]):
        assert re.search(rf"{who}\s*<td>{re.escape(message)}</td>", history)
