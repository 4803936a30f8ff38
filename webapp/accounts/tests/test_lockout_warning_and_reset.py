"""The lockout in a person's terms: the login page warns before the attempt that locks the
account, and a completed password reset lifts the lock (the reset page says "log in now")."""
import re

import pytest
from django.conf import settings
from django.urls import reverse

from webapp.accounts.tests.support import logged_in_user_id

pytestmark = pytest.mark.django_db

WRONG = "wrong-guess-123"


def attempt(client, email, password, ip="127.0.0.1", **headers):
    return client.post(reverse("login"), {"username": email, "password": password},
                       REMOTE_ADDR=ip, **headers)


def lock_minutes() -> int:
    return round(settings.AXES_COOLOFF_TIME * 60)


def test_the_page_warns_before_the_last_attempt_with_the_real_numbers(client, patient):
    assert settings.AXES_FAILURE_LIMIT == 5 and lock_minutes() == 15
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        page = attempt(client, patient.email, WRONG).content.decode()
        assert "attempt left" not in page and 'data-testid="attempts-left"' not in page
    warned = attempt(client, patient.email, WRONG)
    assert warned.status_code == 200
    text = re.sub(r"\s+", " ", warned.content.decode())
    assert "1 attempt left before a 15-minute lock." in text
    assert "a new password also lifts the lock" in text
    # The last attempt then locks, as promised.
    assert attempt(client, patient.email, WRONG).status_code == 429


def test_the_warning_follows_the_settings(client, patient, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5
    attempt(client, patient.email, WRONG)
    text = re.sub(r"\s+", " ", attempt(client, patient.email, WRONG).content.decode())
    assert "1 attempt left before a 30-minute lock." in text


def test_the_warning_in_indonesian(client, patient):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, patient.email, WRONG, HTTP_ACCEPT_LANGUAGE="id")
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "Tinggal 1 percobaan lagi sebelum akun dikunci 15 menit." in text


def _reset_password(client, email, mailoutbox, new_password):
    client.post(reverse("password_reset"), {"email": email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")


def test_a_completed_reset_lifts_the_lockout(client, patient, mailoutbox):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, patient.email, WRONG)
    # Locked from two networks (a phone and a laptop, say).
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, patient.email, WRONG, ip="10.7.7.7")
    assert attempt(client, patient.email, WRONG).status_code == 429
    assert AccessAttempt.objects.filter(username=patient.email).count() == 2

    new_password = "fresh-secure-words-2026"
    _reset_password(client, patient.email, mailoutbox, new_password)
    complete = client.get(reverse("password_reset_complete")).content.decode()
    assert "You can log in with it now." in complete

    assert not AccessAttempt.objects.filter(username=patient.email).exists()
    login = attempt(client, patient.email, new_password)
    assert login.status_code == 302 and logged_in_user_id(client) == str(patient.pk)
    client.post(reverse("logout"))
    assert attempt(client, patient.email, new_password, ip="10.7.7.7").status_code == 302


def test_a_reset_lifts_only_that_accounts_lockout(client, patient, doctor, mailoutbox, user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, patient.email, WRONG)
        attempt(client, doctor.email, WRONG)
    _reset_password(client, patient.email, mailoutbox, "fresh-secure-words-2026")
    assert attempt(client, doctor.email, user_password).status_code == 429


def test_an_unfinished_reset_leaves_the_lockout(client, patient, mailoutbox, user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, patient.email, WRONG)
    client.post(reverse("password_reset"), {"email": patient.email})  # the mail only
    assert len(mailoutbox) == 1
    assert attempt(client, patient.email, user_password).status_code == 429


@pytest.mark.parametrize("language, says", [
    ("en", "once you have chosen a new one, the lock is lifted and you can log in with it at once"),
    ("id", "setelah Anda membuat kata sandi baru, kunci dibuka dan Anda dapat langsung masuk"),
])
def test_the_lock_page_says_a_reset_lifts_the_lock(client, patient, language, says):
    """As the login page's warning says and ResetPasswordConfirmView does: no wait after a reset."""
    from django.utils import translation

    with translation.override(language):
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            locked = attempt(client, patient.email, WRONG, HTTP_ACCEPT_LANGUAGE=language)
    text = re.sub(r"\s+", " ", locked.content.decode())
    assert locked.status_code == 429 and says in text
    assert "wait is over" not in text and "waktu tunggu selesai" not in text
