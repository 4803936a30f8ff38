"""Logging in by email (any case, `next`, wrong password, inactive account) and logging out."""
import re

import pytest
from django.urls import reverse

from webapp.accounts.tests.support import logged_in_user_id

pytestmark = pytest.mark.django_db


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
    html = response.content.decode()
    assert logged_in_user_id(client) is None
    # Said as an alert, and named in the page title, so a screen reader announces it on return.
    alert = re.search(r'<div role="alert" data-testid="form-errors" data-form-errors>(.*?)</div>', html, re.S)
    assert alert and "The email address or the password is not correct." in alert.group(1)
    assert re.search(r"<title>Error: Log in ·", html)
    fresh = client.get(reverse("login")).content.decode()
    assert 'data-testid="form-errors"' not in fresh and "<title>Log in ·" in fresh


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
