"""Accounts against the real test database: registration, login/logout, profile, passwords."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from webapp.accounts.forms import RegistrationForm

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


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# ---------- the model ----------

def test_email_is_the_login_and_is_stored_lower_case(make_user):
    user = make_user(email="  Mixed.Case@Example.ORG ")
    assert user.email == "mixed.case@example.org"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")
    assert User.objects.get_by_natural_key("MIXED.case@example.org") == user


def test_short_name_is_first_word_of_full_name(make_user):
    assert make_user(full_name="Ana Maria Lopes").get_short_name() == "Ana"


def test_superuser_can_be_created_with_email_only(user_password):
    admin = User.objects.create_superuser("Boss@Example.org", user_password, full_name="Boss")
    assert admin.is_staff and admin.is_superuser and admin.email == "boss@example.org"


# ---------- registration ----------

def test_registration_creates_account_and_logs_in(client):
    response = client.post(reverse("register"), registration_data())
    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get()
    assert user.email == "siti.rahma@example.org"
    assert user.full_name == "Siti Rahma"
    assert user.role == "patient"
    assert user.check_password(PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)
    home = client.get(response.url)
    assert "Hello, Siti" in home.content.decode()


def test_registration_as_doctor(client):
    client.post(reverse("register"), registration_data(role="doctor"))
    assert User.objects.get().role == "doctor"


def test_registration_rejects_email_taken_in_another_case(client, patient):
    response = client.post(reverse("register"), registration_data(email="PATIENT@example.ORG"))
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()
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


# ---------- login and logout ----------

def test_login_with_email_in_any_case(client, patient, user_password):
    response = client.post(
        reverse("login"), {"username": "Patient@EXAMPLE.org", "password": user_password}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert logged_in_user_id(client) == str(patient.pk)


def test_login_follows_next(client, patient, user_password):
    response = client.post(
        reverse("login") + "?next=/accounts/profile/",
        {"username": patient.email, "password": user_password, "next": "/accounts/profile/"},
    )
    assert response.url == "/accounts/profile/"


def test_logged_in_user_is_sent_home_from_login(patient_client):
    response = patient_client.get(reverse("login"))
    assert response.status_code == 302 and response.url == reverse("home")


def test_login_refuses_wrong_password(client, patient):
    response = client.post(reverse("login"), {"username": patient.email, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "The email address or the password is not correct." in response.content.decode()
    assert logged_in_user_id(client) is None


def test_inactive_user_cannot_log_in(client, make_user, user_password):
    user = make_user(is_active=False)
    client.post(reverse("login"), {"username": user.email, "password": user_password})
    assert logged_in_user_id(client) is None


def test_logout_needs_post_and_ends_the_session(patient_client):
    assert patient_client.get(reverse("logout")).status_code == 405
    assert logged_in_user_id(patient_client) is not None
    response = patient_client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("landing")
    assert logged_in_user_id(patient_client) is None
    assert patient_client.get(reverse("home")).status_code == 302


# ---------- password change ----------

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


# ---------- password reset ----------

def test_password_reset_full_flow(client, patient, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "PATIENT@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [patient.email]
    assert "password" in mail.subject.lower()
    assert "Hello Ana" in mail.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.body).group(1)

    # Django swaps the token for a session marker and redirects to the set-password form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]

    new_password = "fresh-secure-words-2026"
    done = client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    patient.refresh_from_db()
    assert patient.check_password(new_password)

    # The link works once.
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False
    assert "This link does not work" in again.content.decode()

    login = client.post(reverse("login"), {"username": patient.email, "password": new_password})
    assert login.status_code == 302 and logged_in_user_id(client) == str(patient.pk)


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert mailoutbox == []


# ---------- profile ----------

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


# ---------- admin ----------

def test_admin_lists_and_adds_users(client, patient, user_password):
    admin = User.objects.create_superuser("admin@example.org", user_password, full_name="Admin")
    client.force_login(admin)
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200 and "patient@example.org" in listing.content.decode()
    assert client.get(f"/admin/accounts/user/{patient.pk}/change/").status_code == 200
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Doctor@example.org",
            "full_name": "New Doctor",
            "role": "doctor",
            "usable_password": "true",
            "password1": user_password,
            "password2": user_password,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(email="new.doctor@example.org").role == "doctor"
