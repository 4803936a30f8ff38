"""The profile page: name and email are shown and saved; the role cannot be changed."""
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-new-email/\S+/)")


def test_profile_shows_and_saves_name_and_email(patient_client, patient, user_password):
    page = patient_client.get(reverse("profile")).content.decode()
    assert 'value="Ana Patient"' in page and 'value="patient@example.org"' in page
    assert "Patient" in page  # the role is shown, read-only

    response = patient_client.post(
        reverse("profile"), {"full_name": "Ana P. Santos", "email": "Ana.Santos@Example.org",
                              "current_password": user_password}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("profile")
    assert "Your profile has been saved." in response.content.decode()
    patient.refresh_from_db()
    assert patient.full_name == "Ana P. Santos"
    # Normalised, and waiting for its link (test_email_change_confirmed.py).
    assert (patient.email, patient.pending_email) == ("patient@example.org", "ana.santos@example.org")


def test_profile_cannot_change_role(patient_client, patient):
    patient_client.post(
        reverse("profile"), {"full_name": "Ana", "email": patient.email, "role": "doctor"}
    )
    patient.refresh_from_db()
    assert patient.full_name == "Ana"
    assert patient.role == "patient"


def test_another_accounts_address_is_neither_revealed_nor_given(patient_client, patient, doctor, mailoutbox,
                                                                 user_password):
    """Asking for an address another account holds answers as for any address ("we sent a link"),
    so the profile tells nobody who has an account; the holder is told someone tried, and no link
    goes out (confirm_new_email would refuse it anyway)."""
    response = patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "DOCTOR@example.org",
                                                        "current_password": user_password}, follow=True)
    html = response.content.decode()
    assert "We sent a link to doctor@example.org" in html
    assert "already exists" not in html
    patient.refresh_from_db()
    assert patient.email == "patient@example.org"
    [told] = mailoutbox
    assert told.to == ["doctor@example.org"] and "/accounts/confirm-new-email/" not in told.body
    assert "Someone tried to give another CXR Screening account this email address" in told.body
    # Asked again at once: no second mail to the holder (one every 5 minutes), the same answer.
    again = patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "doctor@example.org",
                                                     "current_password": user_password}, follow=True)
    assert "We sent a link to doctor@example.org" in again.content.decode() and len(mailoutbox) == 1


def test_profile_keeps_own_email_in_another_case(patient_client, patient):
    response = patient_client.post(
        reverse("profile"), {"full_name": "Ana", "email": "PATIENT@example.org"}
    )
    assert response.status_code == 302


def test_profile_links_to_the_api_keys(patient_client):
    html = patient_client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("screening:api_token")}"' in html
    assert patient_client.get(reverse("screening:api_token")).status_code == 200


def test_a_new_email_address_needs_the_current_password(patient_client, patient):
    # Whoever holds the address can reset the password: from a borrowed, signed-in browser a new
    # address without the password would hand the account over.
    response = patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "attacker@example.net"})
    assert response.status_code == 200
    assert "Type your current password to change your email address." in response.content.decode()
    response = patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "attacker@example.net",
                                                        "current_password": "not-the-password"})
    assert "The password is not correct." in response.content.decode()
    patient.refresh_from_db()
    assert patient.email == "patient@example.org"


def test_a_changed_email_address_is_told_to_the_old_one(patient_client, patient, mailoutbox, user_password):
    response = patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "ana@example.net",
                                                        "current_password": user_password})
    assert response.status_code == 302
    patient_client.post(LINK.search(mailoutbox[0].body).group(1))
    patient.refresh_from_db()
    assert patient.email == "ana@example.net"
    link, notice = mailoutbox
    assert notice.to == ["patient@example.org"]
    assert "changed from patient@example.org to ana@example.net" in notice.body


def test_the_name_changes_without_the_password_and_without_an_email(patient_client, patient, mailoutbox):
    assert patient_client.post(reverse("profile"), {"full_name": "Ana B", "email": patient.email}).status_code == 302
    assert mailoutbox == []


def test_the_email_change_notice_is_in_the_readers_language(patient_client, patient, mailoutbox, user_password):
    patient_client.post(reverse("profile"), {"full_name": "Ana", "email": "ana@example.net",
                                             "current_password": user_password}, HTTP_ACCEPT_LANGUAGE="id")
    link = mailoutbox[0]
    assert link.subject == "Konfirmasi alamat email baru akun Skrining CXR Anda"
    patient_client.post(LINK.search(link.body).group(1), HTTP_ACCEPT_LANGUAGE="id")
    notice = mailoutbox[1]
    assert notice.subject == "Alamat email akun Skrining CXR Anda telah diubah"
    assert "diubah dari patient@example.org menjadi ana@example.net" in notice.body
