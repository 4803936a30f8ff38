"""Setting a new password from a reset link revokes the account's API keys
(ResetPasswordConfirmView), but the set-a-new-password page did not say so before it was sent, as
the password change form does; only the page after it did. It warns now, in the same words, in
English and Indonesian."""
import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

pytestmark = pytest.mark.django_db

WARNING = ("Changing your password also revokes all your API keys: programs that use them are "
           "refused until you make new keys on the <a href=\"%(api_keys_url)s\">API key page</a>.")


def _set_password_page(client, patient, mailoutbox, language):
    client.cookies["django_language"] = language
    client.post(reverse("password_reset"), {"email": patient.email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[-1].body).group(1)
    return client.get(link, follow=True)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_set_password_page_warns_that_the_api_keys_are_revoked(client, patient, mailoutbox,
                                                                   language):
    with override(language):
        warning = gettext(WARNING) % {"api_keys_url": reverse("screening:api_token")}
    if language == "id":
        assert "kunci API" in warning  # translated, not the English
    page = _set_password_page(client, patient, mailoutbox, language)
    assert page.context["validlink"] is True
    assert warning in page.content.decode()


def test_a_used_link_does_not_warn(client, patient, mailoutbox):
    """The page of a link that no longer works sets no password: nothing to warn of."""
    page = _set_password_page(client, patient, mailoutbox, "en")
    password = "fresh-secure-words-2026"
    client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    again = client.get(page.redirect_chain[0][0], follow=True)
    assert again.context["validlink"] is False
    assert "revokes all your API keys" not in again.content.decode()
