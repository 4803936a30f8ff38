"""Making an API key asks for the current password, as a new email address or deleting the account
do: a key reads every reading for up to a year, and a borrowed, signed-in browser is not enough.
Wrong passwords count against the login lock (django-axes) like the account pages' do."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from webapp.screening.api_models import ApiToken

pytestmark = pytest.mark.django_db

WRONG = "wrong-guess-123"


def create(client, password=None, name="PACS bridge", days="90", language="en"):
    data = {"action": "create", "name": name, "expires_in_days": days}
    if password is not None:
        data["current_password"] = password
    return client.post(reverse("screening:api_token"), data, HTTP_ACCEPT_LANGUAGE=language)


def test_without_the_password_no_key_is_made(patient, patient_client):
    page = create(patient_client)
    assert page.status_code == 400
    assert page.context["form"].has_error("current_password", "required")
    assert 'data-testid="new-api-key"' not in page.content.decode()
    assert not ApiToken.objects.filter(user=patient).exists()


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_wrong_password_makes_no_key_and_keeps_what_was_typed(patient, patient_client, language):
    page = create(patient_client, WRONG, name="Ward 7 script", days="30", language=language)
    html = page.content.decode()
    # The account pages' own words (webapp/accounts/forms.py), in the page's language.
    with translation.override(language):
        error, label = gettext("The password is not correct."), gettext("Current password")
    if language == "id":
        assert (error, label) == ("Kata sandi tidak benar.", "Kata sandi saat ini")
    assert page.status_code == 400
    assert page.context["form"].has_error("current_password", "password_incorrect")
    assert error in html and label in html
    assert 'value="Ward 7 script"' in html and '<option value="30" selected>' in html
    assert WRONG not in html  # the password is never sent back
    assert 'autocomplete="current-password"' in html
    assert not ApiToken.objects.filter(user=patient).exists()


def test_the_right_password_makes_the_key(patient, patient_client, user_password):
    page = create(patient_client, user_password)
    assert page.status_code == 200 and 'data-testid="new-api-key"' in page.content.decode()
    assert ApiToken.objects.get(user=patient).name == "PACS bridge"


def test_wrong_passwords_lock_the_account_like_failed_logins(patient, patient_client,
                                                              user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert create(patient_client, WRONG).status_code == 400
    assert create(patient_client, WRONG).status_code == 429  # the lockout page from now on
    assert create(patient_client, user_password).status_code == 429
    assert not ApiToken.objects.filter(user=patient).exists()
    # The same lock as the login's: signing in elsewhere waits too.
    login = Client().post(reverse("login"), {"username": patient.email, "password": user_password})
    assert login.status_code == 429
