"""Changing one's own password: the old one is checked, validators apply, the session stays."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_change_keeps_session_and_sets_new_password(patient_client, patient, user_password):
    new_password = "a-new-long-passphrase-77"
    bad = patient_client.post(
        reverse("password_change"),
        {"old_password": "not-my-password", "new_password1": new_password, "new_password2": new_password},
    )
    assert bad.status_code == 200
    assert "old password was entered incorrectly" in bad.content.decode()

    response = patient_client.post(
        reverse("password_change"),
        {"old_password": user_password, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    patient.refresh_from_db()
    assert patient.check_password(new_password)
    # Django keeps the session valid after a change of one's own password.
    assert patient_client.get(reverse("home")).status_code == 200


def test_password_change_applies_validators(patient_client, user_password):
    response = patient_client.post(
        reverse("password_change"),
        {"old_password": user_password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
