"""Fixtures of the security tests: two real accounts, their clients, and a small real model.

The model is a genuine ONNX network with the exported model's interface (inputs, outputs, card,
OOD statistics) but only a few weights, built with the `onnx` package in a moment: the security
tests exercise decoding, storage and access rules, not diagnostic accuracy, and must stay fast
on a two-core machine. Its OOD threshold is fitted on real X-rays like the real export's.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
from tiny_model import build_tiny_model

PASSWORD = "quartz-lagoon-violet-73"  # passes Django's password validators


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, xray_paths):
    """A model directory (model.onnx, model_card.json, ood.npz) the real Predictor loads."""
    folder = tmp_path_factory.mktemp("tiny-model")
    calibration = [p for paths in xray_paths.values() for p in paths[:4]]
    return build_tiny_model(folder, calibration)


@pytest.fixture
def screening_settings(settings, tmp_path, tiny_model_dir):
    """Private media in a fresh temp folder and the tiny model as the served model."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.CXR_MODEL_DIR = str(tiny_model_dir)  # loaded once, then shared like in production
    return settings


@pytest.fixture
def make_account(db):
    from webapp.accounts.models import User

    def make(email: str, role: str = "patient"):
        return User.objects.create_user(email=email, password=PASSWORD,
                                        full_name=email.split("@")[0].title(), role=role)

    return make


@pytest.fixture
def alice(make_account):
    return make_account("alice@example.org", role="doctor")


@pytest.fixture
def bob(make_account):
    return make_account("bob@example.org")


@pytest.fixture
def alice_client(alice):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob):
    from django.test import Client

    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Accounts in milliseconds (PBKDF2 costs ~0.4 s a hash), except where a test asks for
    `real_password_hashers` to check the project's own hashing."""
    if "real_password_hashers" not in request.fixturenames:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_password_hashers(settings):
    return settings.PASSWORD_HASHERS


@functools.cache
def _prediction(model_dir: str, image: str):
    from cxr.inference import Predictor

    return Predictor.load(model_dir, threads=1).predict(Path(image).read_bytes())


@pytest.fixture
def make_reading(screening_settings, tiny_model_dir):
    """make_reading(owner, image_path) -> a stored Reading (files + row), as an upload makes it.

    The tiny model's prediction of each image is computed once per session."""
    from webapp.screening import storage

    def make(owner, image_path: Path):
        prediction = _prediction(str(tiny_model_dir), str(image_path))
        assert not prediction.rejected, prediction.reason
        return storage.create_reading(owner, prediction, Path(image_path).name)

    return make

