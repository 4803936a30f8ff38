"""A new password ends the account's other sessions; its API keys must end too, or a key made in a
borrowed, signed-in browser keeps reading the owner's X-rays for up to 365 days after they reset
or changed their password."""
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from webapp.screening.api_models import ApiToken, TokenState

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "fresh-secure-words-2026"


def test_a_password_reset_revokes_the_api_keys(client, patient, mailoutbox):
    _token, key = ApiToken.issue(patient, "made in a borrowed browser")
    client.post(reverse("password_reset"), {"email": patient.email})
    assert "revokes its API keys" in mailoutbox[-1].body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert ApiToken.authenticate(key)[0] == TokenState.UNKNOWN
    with translation.override("id"):
        done = client.get(reverse("password_reset_complete"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "kunci API Anda dicabut" in done


def test_a_password_change_revokes_the_api_keys(patient, user_password, alice):
    _token, key = ApiToken.issue(patient, "script")
    _other, other_key = ApiToken.issue(alice, "someone else's")
    client = Client()
    client.force_login(patient)
    client.post(reverse("password_change"), {"old_password": user_password, "new_password1": NEW_PASSWORD,
                                             "new_password2": NEW_PASSWORD})
    assert ApiToken.authenticate(key)[0] == TokenState.UNKNOWN
    assert ApiToken.authenticate(other_key)[0] == TokenState.VALID
    with translation.override("en"):
        done = re.sub(r"\s+", " ", client.get(reverse("password_change_done")).content.decode())
    assert "your API keys were revoked" in done and reverse("screening:api_token") in done


def test_a_password_an_administrator_sets_revokes_the_api_keys(patient, superuser_client):
    # The usual answer to a stolen account is an administrator setting a new password: the
    # thief's key must stop with it, as it does when the owner changes or resets it.
    _token, key = ApiToken.issue(patient, "the thief's")
    response = superuser_client.post(f"/admin/accounts/user/{patient.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    assert ApiToken.authenticate(key)[0] == TokenState.UNKNOWN


def test_a_password_set_on_the_command_line_revokes_the_api_keys(patient):
    from django.core.management import call_command

    _token, key = ApiToken.issue(patient, "script")
    import io
    from unittest import mock

    with mock.patch("getpass.getpass", side_effect=[NEW_PASSWORD, NEW_PASSWORD]):
        call_command("changepassword", patient.email, stdout=io.StringIO())
    assert ApiToken.authenticate(key)[0] == TokenState.UNKNOWN


def test_saving_an_account_without_a_new_password_keeps_the_api_keys(patient):
    _token, key = ApiToken.issue(patient, "script")
    patient.full_name = "A New Name"
    patient.save()
    assert ApiToken.authenticate(key)[0] == TokenState.VALID
