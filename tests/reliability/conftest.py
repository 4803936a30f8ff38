"""Fixtures of the reliability tests: the tiny real model of the security tests."""
from __future__ import annotations

import pytest

# tests/ is on sys.path (pytest puts the folder of tests/conftest.py there).
from security.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def crash_model_dir(tmp_path_factory, xray_paths):
    calibration = [p for paths in xray_paths.values() for p in paths[:4]]
    return build_tiny_model(tmp_path_factory.mktemp("crash-model"), calibration)
