"""Pages that ask a signed-in person for the password again (a new email address, deleting the
account, a new password) count wrong passwords against the login lock: a borrowed, signed-in
browser cannot try passwords there without limit."""
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

WRONG = "wrong-guess-123"


def profile_post(patient, password):
    return {"full_name": patient.full_name, "email": "new-address@example.org",
            "time_zone": patient.time_zone, "current_password": password}


@pytest.mark.parametrize("page", ["profile", "delete_account", "password_change"])
def test_wrong_passwords_lock_the_account_like_failed_logins(page, patient_client, patient,
                                                             user_password):
    def post(password):
        data = {"profile": profile_post(patient, password),
                "delete_account": {"password": password},
                "password_change": {"old_password": password, "new_password1": "N3w-pass-phrase!",
                                    "new_password2": "N3w-pass-phrase!"}}[page]
        return patient_client.post(reverse(page), data)

    field = {"profile": "current_password", "delete_account": "password",
             "password_change": "old_password"}[page]
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = post(WRONG)
        assert response.status_code == 200
        assert response.context["form"].has_error(field, "password_incorrect")
        # The login page's warning before the attempt that locks, and only then.
        last = attempt == settings.AXES_FAILURE_LIMIT - 1
        assert response.context["form"].has_error(field, "attempts_left") is last
    assert "1 attempt left before a 15-minute lock." in response.content.decode()
    assert post(WRONG).status_code == 429  # the limit: the lockout page from now on
    locked = post(user_password)
    text = " ".join(locked.content.decode().split())
    # The person never tried to sign in and is still signed in: the page says so.
    assert locked.status_code == 429 and "Too many wrong passwords" in text
    assert "on the login page or on your account's pages" in text and "You are still signed in" in text
    assert "Too many failed logins" not in text

    patient.refresh_from_db()
    assert patient.email != "new-address@example.org"  # nothing changed, nothing deleted
    assert patient.check_password(user_password)
    # The same lock as the login's: signing in elsewhere waits too.
    login = Client().post(reverse("login"), {"username": patient.email, "password": user_password})
    assert login.status_code == 429


def test_the_right_password_still_works_before_the_limit(patient_client, patient, user_password):
    patient_client.post(reverse("profile"), profile_post(patient, WRONG))
    response = patient_client.post(reverse("profile"), profile_post(patient, user_password))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.pending_email == "new-address@example.org"  # accepted: waiting for its link


def test_the_warning_and_the_lock_page_in_indonesian(patient_client, patient):
    from django.utils import translation

    with translation.override("id"):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = patient_client.post(reverse("delete_account"), {"password": WRONG},
                                           HTTP_ACCEPT_LANGUAGE="id")
        assert "Tinggal 1 percobaan lagi sebelum akun dikunci 15 menit." in response.content.decode()
        patient_client.post(reverse("delete_account"), {"password": WRONG}, HTTP_ACCEPT_LANGUAGE="id")
        locked = patient_client.post(reverse("delete_account"), {"password": WRONG}, HTTP_ACCEPT_LANGUAGE="id")
    text = " ".join(locked.content.decode().split())
    assert locked.status_code == 429 and "Terlalu banyak kata sandi yang salah" in text
    assert "Anda masih masuk" in text
