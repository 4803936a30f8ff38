"""A new password revokes every API key of the account (accounts.models.User.save), but
nothing said so: the password change form now warns before it is sent, and the API key page and
docs/api.md say it, in English and Indonesian."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db

FORM_WARNING = ("Changing your password also revokes all your API keys: programs that use them are "
                "refused until you make new keys on the <a href=\"%(api_keys_url)s\">API key page</a>.")
KEY_PAGE = ("Changing or resetting your password revokes every key: programs then get “401 "
            "not_authenticated” until you give them a new key.")


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_password_form_and_the_key_page_warn(patient_client, language):
    with translation.override(language):
        form_warning = gettext(FORM_WARNING) % {"api_keys_url": reverse("screening:api_token")}
        key_page = gettext(KEY_PAGE)
    if language == "id":
        assert form_warning != FORM_WARNING % {"api_keys_url": reverse("screening:api_token")}
        assert key_page != KEY_PAGE
    form = patient_client.get(reverse("password_change"), HTTP_ACCEPT_LANGUAGE=language)
    assert form_warning in form.content.decode()
    page = patient_client.get(reverse("screening:api_token"), HTTP_ACCEPT_LANGUAGE=language)
    assert key_page in page.content.decode()


def test_the_api_docs_say_it():
    keys = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text().split("## Keys")[1]
    assert "password revokes every key" in " ".join(keys.split("\n## ")[0].split())
