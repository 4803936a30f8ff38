"""Resetting a forgotten password by email: the full flow, one-time links, unknown addresses."""
import re

import pytest
from django.urls import reverse

from webapp.accounts.tests.support import logged_in_user_id

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize("timeout, language, words", [
    (3 * 24 * 3600, "en", "The link works once, within 3 days of this email."),
    (3600, "en", "The link works once, within 1 hour of this email."),
    (3 * 24 * 3600, "id", "Tautan ini hanya berlaku sekali, dalam 3 hari sejak email ini dikirim."),
])
def test_the_reset_email_says_how_long_its_link_works(client, patient, mailoutbox, settings, timeout, language, words):
    """The e-mail said "The link works once" and nothing of its expiry (an audit); a link opened
    on the fourth day then said "too old" with no way to have known. It says the period the
    server holds it to (PASSWORD_RESET_TIMEOUT)."""
    settings.PASSWORD_RESET_TIMEOUT = timeout
    client.cookies.load({"django_language": language})
    client.post(reverse("password_reset"), {"email": patient.email})
    assert words in " ".join(mailoutbox[0].body.split())
