"""Passwords are stored only as salted hashes of the project's real hasher: at registration,
on a password change, and for accounts made in code. (Other tests hash with MD5 for speed; these
ask for `real_password_hashers`.)
"""
from __future__ import annotations

import pytest
from django.contrib.auth.hashers import get_hasher
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_is_hashed_by_django(make_user, user_password, real_password_hashers):
    user = make_user()
    assert user.password != user_password
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.check_password(user_password)


def test_registration_stores_only_a_salted_hash(client, real_password_hashers):
    from webapp.accounts.models import User

    password = "orchid-tundra-pylon-29"
    response = client.post(reverse("register"), {
        "full_name": "Citra Dewi", "email": "citra@example.org", "role": "patient",
        "password1": password, "password2": password,
    })
    assert response.status_code == 302
    user = User.objects.get(email="citra@example.org")
    hasher = get_hasher("default")
    assert hasher.algorithm in ("pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt")
    assert user.password.startswith(f"{hasher.algorithm}$")
    assert password not in user.password
    assert user.check_password(password)
    # Salted: the same password gives another hash for another account.
    other = User.objects.create_user(email="dewi@example.org", password=password, full_name="D")
    assert other.password != user.password


def test_a_changed_password_is_hashed_too(alice, alice_client, real_password_hashers):
    new_password = "saffron-glacier-comet-64"
    alice.set_password("quartz-lagoon-violet-73")
    alice.save()
    alice_client.force_login(alice)
    response = alice_client.post(reverse("password_change"), {
        "old_password": "quartz-lagoon-violet-73",
        "new_password1": new_password, "new_password2": new_password,
    })
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.password.startswith(f"{get_hasher('default').algorithm}$")
    assert new_password not in alice.password
