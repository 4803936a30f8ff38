"""Brute-force protection: django-axes locks an account on one IP address after
AXES_FAILURE_LIMIT failed logins, whatever the capitals in the email address."""
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, email, password, ip="127.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_failure_limit_is_five():
    assert settings.AXES_FAILURE_LIMIT == 5


def test_locked_after_five_failures_even_with_the_right_password(client, patient, user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, patient.email, "wrong-guess-123")
        assert response.status_code == 200
        assert "The email address or the password is not correct." in response.content.decode()

    # The fifth failure reaches the limit: axes answers with the lockout page from now on.
    fifth = attempt(client, patient.email, "wrong-guess-123")
    assert fifth.status_code == 429

    sixth = attempt(client, patient.email, user_password)
    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert "Too many failed logins" in page
    assert "locked for logins from your network after 5 failed logins" in page
    assert "try again in 15 minutes" in page
    # Every page that asks for the password counts, making an API key too.
    assert "(a new email address, a new password, a new API key, deleting the account)" in page.replace("&#x27;", "'")
    assert "accounts/locked_out.html" in [t.name for t in sixth.templates]
    assert "_auth_user_id" not in client.session


def test_changing_the_capitals_of_the_email_does_not_get_more_attempts(client, patient, user_password):
    spellings = ["patient@example.org", "Patient@example.org", "PATIENT@example.org",
                 "patient@EXAMPLE.org", "PaTiEnT@example.org"]
    for spelling in spellings:
        attempt(client, spelling, "wrong-guess-123")
    response = attempt(client, "Patient@Example.Org", user_password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account_and_address(client, patient, doctor, user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, patient.email, "wrong-guess-123")
    assert attempt(client, patient.email, user_password).status_code == 429
    # Another account from the same address, and the same account from elsewhere, still work.
    assert attempt(client, doctor.email, user_password).status_code == 302
    client.post(reverse("logout"))
    assert attempt(client, patient.email, user_password, ip="10.1.2.3").status_code == 302


def test_success_before_the_limit_resets_the_count(client, patient, user_password):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, patient.email, "wrong-guess-123")
    assert attempt(client, patient.email, user_password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, patient.email, "wrong-guess-123").status_code == 200
    assert attempt(client, patient.email, user_password).status_code == 302


# --- forged addresses, proxies and the admin login -------------------------------------

def _login(client, email, password, **meta):
    return client.post(reverse("login"), {"username": email, "password": password}, **meta)


def _fail_until_locked(email, **meta):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, email, "wrong-password-1", **meta)


def test_forged_forwarded_for_headers_do_not_buy_more_attempts(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 0  # no proxy: the header is the client's own invention
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, bob.email, "wrong-password-1", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    locked = _login(client, bob.email, "quartz-lagoon-violet-73", HTTP_X_FORWARDED_FOR="10.9.9.99")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_visitors_address_counts_not_the_proxys(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # The attacker forges a left-hand entry; only the one our proxy appended is used.
    _fail_until_locked(bob.email, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5", **proxy)
    attacker = _login(Client(), bob.email, "quartz-lagoon-violet-73",
                      HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5", **proxy)
    assert attacker.status_code == 429
    # Bob, at home behind the same proxy, is not locked out by the attacker's failures.
    bob_at_home = _login(Client(), bob.email, "quartz-lagoon-violet-73",
                         HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert bob_at_home.status_code == 302


def test_the_admin_login_is_throttled_as_well(make_account):
    staff = make_account("staff@example.org")
    staff.is_staff = True
    staff.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": staff.email, "password": "nope-nope-1"})
    response = client.post(reverse("admin:login"),
                           {"username": staff.email, "password": "quartz-lagoon-violet-73"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
