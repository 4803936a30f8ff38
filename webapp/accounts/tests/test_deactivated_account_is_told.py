"""A doctor whose account an administrator deactivated was told "The email address or the
password is not correct." with the right password, and kept retyping it (an operator audit).
With that account's right password the login now says the account is deactivated; a wrong
password still gets the usual sentence, so the form tells nothing to someone who does not know
the password."""
from __future__ import annotations

import html
import re
from unittest import mock

import pytest
from django.urls import reverse

from webapp.accounts.tests.test_login_and_logout import logged_in_user_id

pytestmark = pytest.mark.django_db

DEACTIVATED = {"en": "This account has been deactivated by the site's administrators",
               "id": "Akun ini telah dinonaktifkan oleh administrator situs"}
WRONG = {"en": "The email address or the password is not correct.",
         "id": "Alamat email atau kata sandi tidak benar."}


def _alert(response) -> str:
    found = re.search(r'<div role="alert" data-testid="form-errors" data-form-errors>(.*?)</div>', response.content.decode(), re.S)
    assert found, "the login form shows no error"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_deactivated_account_with_its_right_password_is_told_so(client, make_user, user_password, language):
    user = make_user(is_active=False)
    response = client.post(reverse("login"), {"username": user.email.upper(), "password": user_password},
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and logged_in_user_id(client) is None
    alert = _alert(response)
    assert DEACTIVATED[language] in alert and WRONG[language] not in alert


@pytest.mark.parametrize("active", [False, True])
def test_a_wrong_password_is_told_the_same_either_way(client, make_user, active):
    user = make_user(is_active=active)
    response = client.post(reverse("login"), {"username": user.email, "password": "not-the-password-1"})
    assert logged_in_user_id(client) is None
    alert = _alert(response)
    assert WRONG["en"] in alert and DEACTIVATED["en"] not in alert


@pytest.mark.parametrize("active", [False, True])
@pytest.mark.parametrize("right", [False, True])
def test_the_password_is_checked_once_whatever_the_account(client, make_user, user_password, active, right):
    """A second check for deactivated accounts made their answer take twice as long: a timing
    oracle of which addresses were deactivated (a security audit: 605 ms against 309 ms)."""
    from webapp.accounts.models import User

    user = make_user(is_active=active)
    with mock.patch.object(User, "check_password", autospec=True, side_effect=User.check_password) as verify:
        client.post(reverse("login"), {"username": user.email,
                                       "password": user_password if right else "not-the-password-1"})
    assert verify.call_count == 1
