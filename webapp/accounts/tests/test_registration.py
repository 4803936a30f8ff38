"""Registration against the real test database: the account it makes (unconfirmed, signed in
only once its mailed link is opened: test_email_verification.py), and what it refuses (weak or
mismatched passwords, missing role); a taken email is not said."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from webapp.accounts.forms import RegistrationForm
from webapp.accounts.tests.support import logged_in_user_id

User = get_user_model()
pytestmark = pytest.mark.django_db


PASSWORD = "lantern-river-orbit-58"  # passes all of Django's password validators


def registration_data(**overrides):
    data = {
        "full_name": "Siti Rahma",
        "email": "Siti.Rahma@Example.org",
        "role": "patient",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_registration_creates_an_unconfirmed_account_and_signs_nobody_in(client, mailoutbox):
    response = client.post(reverse("register"), registration_data())
    assert response.status_code == 302
    assert response.url == reverse("register_done")
    user = User.objects.get()
    assert user.email == "siti.rahma@example.org"
    assert user.full_name == "Siti Rahma"
    assert user.role == "patient"
    assert user.check_password(PASSWORD)
    assert user.email_verified_at is None  # the mailed link confirms it (test_email_verification.py)
    assert logged_in_user_id(client) is None
    assert [mail.to for mail in mailoutbox] == [["siti.rahma@example.org"]]
    done = client.get(response.url).content.decode()
    assert "Check your email" in done


def test_registration_as_doctor_makes_a_pending_doctor(client):
    response = client.post(reverse("register"), registration_data(
        role="doctor", licence_number="STR-3171-0042", workplace="RSUD Tarakan",
        doctor_verified_at="2020-01-01 00:00"))  # a forged field is ignored
    assert response.status_code == 302
    user = User.objects.get()
    assert (user.role, user.licence_number, user.workplace) == ("doctor", "STR-3171-0042", "RSUD Tarakan")
    assert user.doctor_verified_at is None and user.is_pending_doctor and not user.is_doctor


def test_a_doctor_must_give_licence_number_and_workplace(client):
    response = client.post(reverse("register"), registration_data(role="doctor"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"licence_number", "workplace"}
    assert not User.objects.exists()


def test_over_long_doctor_details_are_not_called_missing(client):
    """A licence number or workplace that was given but too long got two errors, its length and
    "Doctors give this", which is not true: only the length is said now."""
    from webapp.accounts.forms import DOCTOR_FIELD_REQUIRED

    response = client.post(reverse("register"), registration_data(
        role="doctor", licence_number="L" * 65, workplace="W" * 201))
    errors = response.context["form"].errors
    assert set(errors) == {"licence_number", "workplace"}
    for name in errors:
        assert len(errors[name]) == 1 and str(DOCTOR_FIELD_REQUIRED) not in errors[name][0], errors[name]
        assert "at most" in errors[name][0]
    assert not User.objects.exists()


def test_a_patient_keeps_no_doctor_details(client):
    client.post(reverse("register"), registration_data(licence_number="X-1", workplace="Somewhere"))
    user = User.objects.get()
    assert (user.role, user.licence_number, user.workplace) == ("patient", "", "")


def test_registration_with_a_taken_email_says_nothing_and_makes_nothing(client, patient):
    """It said "An account with this email address already exists." to anyone who asked; the
    holder is mailed instead (test_email_verification.py)."""
    response = client.post(reverse("register"), registration_data(email="PATIENT@example.ORG"))
    assert response.status_code == 302 and response.url == reverse("register_done")
    assert User.objects.count() == 1
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1-x", "This password is too short"),
        ("48392017465", "This password is entirely numeric"),
        ("password123", "This password is too common"),
    ],
)
def test_registration_rejects_weak_passwords(client, password, message):
    response = client.post(
        reverse("register"), registration_data(password1=password, password2=password)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_registration_rejects_password_similar_to_email():
    form = RegistrationForm(
        data=registration_data(
            email="kartini.wulandari@example.org",
            password1="kartini.wulandari",
            password2="kartini.wulandari",
        )
    )
    assert not form.is_valid()
    assert "too similar" in str(form.errors["password2"])


def test_registration_rejects_mismatched_passwords():
    form = RegistrationForm(data=registration_data(password2=PASSWORD + "x"))
    assert not form.is_valid()
    assert "password2" in form.errors


@pytest.mark.parametrize("role", ["", "admin"])
def test_registration_requires_a_valid_role(client, role):
    response = client.post(reverse("register"), registration_data(role=role))
    assert response.status_code == 200
    assert not User.objects.exists()
    errors = response.context["form"].errors
    assert "role" in errors


def test_registration_form_preselects_no_role(client):
    html = client.get(reverse("register")).content.decode()
    radios = re.findall(r'<input type="radio" name="role"[^>]*>', html)
    assert len(radios) == 2
    assert not any("checked" in radio for radio in radios)


def test_logged_in_user_is_sent_home_from_register(patient_client):
    response = patient_client.get(reverse("register"))
    assert response.status_code == 302 and response.url == reverse("home")


def test_indonesian_account_pages_say_kata_sandi_throughout(client):
    """Django's own Indonesian catalogue says "sandi" where the app's pages say "kata sandi"
    (field labels, password rules, errors); the app's catalogue overrides them, so one form does
    not use two words for one thing."""
    bare_sandi = re.compile(r"(?<![Kk]ata )\b[Ss]andi\b")
    pages = [client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="id").content.decode()
             for name in ("login", "register", "password_reset")]
    mismatch = client.post(reverse("register"), registration_data(password2=PASSWORD + "x"),
                           HTTP_ACCEPT_LANGUAGE="id").content.decode()
    common = client.post(reverse("register"), registration_data(password1="password", password2="password"),
                         HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "kata sandi" in mismatch.lower() and "umum" in common
    for html in [*pages, mismatch, common]:
        text = re.sub(r"<[^>]+>", " ", html)
        assert not bare_sandi.findall(text), bare_sandi.findall(text)
