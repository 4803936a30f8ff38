"""Shared fixtures for the web tests: accounts of both roles and clients logged in as them.

    def test_something(patient_client, patient):      # a logged-in patient and their account
        response = patient_client.get(reverse("home"))

    def test_other(make_user, client):                # any account you need
        nurse = make_user(email="nurse@example.org", role="doctor")
        client.force_login(nurse)

Every user is created in the real test database (pytest-django) with the password given by
the `user_password` fixture, which passes Django's password validators, so tests can also log
in through the real login form:

    client.post(reverse("login"), {"username": patient.email, "password": user_password})

Passwords are hashed with Django's fast MD5 hasher here (autouse `fast_password_hashing`);
ask for the `real_password_hashers` fixture to test the project's real hashing.
"""
from __future__ import annotations

import itertools

import pytest

USER_PASSWORD = "correct-horse-battery-41"

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Django's MD5 hasher in web tests: PBKDF2 costs ~0.4 s a hash and accounts are made in
    nearly every test. A test that checks the project's real hashing asks for
    `real_password_hashers`."""
    if "real_password_hashers" not in request.fixturenames:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_password_hashers(settings):
    """The hashers from settings.py, untouched (see fast_password_hashing)."""
    return settings.PASSWORD_HASHERS


@pytest.fixture
def user_password() -> str:
    """The password of every account made by `make_user`, `patient` and `doctor`."""
    return USER_PASSWORD


@pytest.fixture
def make_user(db):
    """Factory: make_user(email=None, password=USER_PASSWORD, full_name=None, role="patient")."""
    from webapp.accounts.models import User

    def make(email=None, password=USER_PASSWORD, full_name=None, role="patient", **extra):
        number = next(_serial)
        return User.objects.create_user(
            email=email or f"{role}{number}@example.org",
            password=password,
            full_name=full_name or f"Test {role.title()} {number}",
            role=role,
            **extra,
        )

    return make


@pytest.fixture
def patient(make_user):
    return make_user(email="patient@example.org", full_name="Ana Patient", role="patient")


@pytest.fixture
def doctor(make_user):
    return make_user(email="doctor@example.org", full_name="Budi Doctor", role="doctor")


@pytest.fixture
def patient_client(client, patient):
    """pytest-django's `client` (the same object), logged in as `patient`."""
    client.force_login(patient)
    return client


@pytest.fixture
def doctor_client(db, doctor):
    """A second, independent test client logged in as `doctor` (usable beside patient_client)."""
    from django.test import Client

    other = Client()
    other.force_login(doctor)
    return other
