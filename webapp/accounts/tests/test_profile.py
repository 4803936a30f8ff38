"""The profile page: name and email are shown and saved; the role cannot be changed."""
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_profile_shows_and_saves_name_and_email(patient_client, patient):
    page = patient_client.get(reverse("profile")).content.decode()
    assert 'value="Ana Patient"' in page and 'value="patient@example.org"' in page
    assert "Patient" in page  # the role is shown, read-only

    response = patient_client.post(
        reverse("profile"), {"full_name": "Ana P. Santos", "email": "Ana.Santos@Example.org"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("profile")
    assert "Your profile has been saved." in response.content.decode()
    patient.refresh_from_db()
    assert patient.full_name == "Ana P. Santos"
    assert patient.email == "ana.santos@example.org"


def test_profile_cannot_change_role(patient_client, patient):
    patient_client.post(
        reverse("profile"), {"full_name": "Ana", "email": patient.email, "role": "doctor"}
    )
    patient.refresh_from_db()
    assert patient.full_name == "Ana"
    assert patient.role == "patient"


def test_profile_rejects_email_of_another_account(patient_client, patient, doctor):
    response = patient_client.post(
        reverse("profile"), {"full_name": "Zara Other", "email": "DOCTOR@example.org"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "An account with this email address already exists." in html
    # The header still shows the saved account, not the rejected form's values.
    assert re.search(r"Account menu for </span>\s*Ana\b", html)
    patient.refresh_from_db()
    assert patient.email == "patient@example.org"


def test_profile_keeps_own_email_in_another_case(patient_client, patient):
    response = patient_client.post(
        reverse("profile"), {"full_name": "Ana", "email": "PATIENT@example.org"}
    )
    assert response.status_code == 302


def test_profile_links_to_the_api_keys(patient_client):
    html = patient_client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("screening:api_token")}"' in html
    assert patient_client.get(reverse("screening:api_token")).status_code == 200
