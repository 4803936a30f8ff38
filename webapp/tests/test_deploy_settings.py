"""Production settings, checked the way an operator starts the app: in a fresh process.

`manage.py check --deploy` is Django's own list of deployment mistakes (DEBUG on, weak key,
cookies without Secure, no HSTS, ...); at --fail-level WARNING any one of them fails the run.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # Only what an operator sets: nothing of this test run (the browser fixture, for one, sets
    # DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses).
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("DJANGO_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL",
                       "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="webapp.settings",
        SECRET_KEY=secrets.token_urlsafe(64),  # 86 characters, as `check --deploy` wants 50+
        ALLOWED_HOSTS="cxr.example.org",
        DATA_DIR=str(tmp_path / "data"),
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_checklist_does_catch_a_weak_key(tmp_path):
    # The same check with a short key must fail: proves the test above can fail.
    result = manage(production_env(tmp_path, SECRET_KEY="short"),
                    "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    env = production_env(tmp_path)
    del env["ALLOWED_HOSTS"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_turns_debug_off_and_cookies_secure(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    env = production_env(tmp_path, DJANGO_DEBUG="1")  # DEBUG cannot be switched back on
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True"]


def test_collectstatic_builds_the_hashed_compressed_files_of_production(tmp_path):
    # Production serves static files through whitenoise's manifest storage, which fails at
    # collectstatic time on any reference it cannot resolve (e.g. a missing source map).
    static_root = tmp_path / "static"
    result = manage(production_env(tmp_path, STATIC_ROOT=str(static_root)),
                    "collectstatic", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = static_root / "staticfiles.json"
    assert manifest.is_file()
    assert list(static_root.glob("css/site.*.css.gz")), "no hashed, compressed stylesheet"


def test_the_apps_processes_run_numpy_without_a_blas_thread_pool(tmp_path):
    """Spinning BLAS threads nearly halved two model processes' readings per second on two cores
    (docs/performance.md); the settings turn the pool off for every process that loads them (the
    job queue's workers, runserver) unless the operator chose a number."""
    code = ("import django; django.setup(); import numpy, threadpoolctl; "
            "print(sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() "
            "if i['user_api'] == 'blas'}))")
    env = production_env(tmp_path, OPENBLAS_NUM_THREADS=None, OMP_NUM_THREADS=None,
                         MKL_NUM_THREADS=None)
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[1]"
    chosen = subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, text=True, timeout=120,
                            env={**env, "OPENBLAS_NUM_THREADS": "2"}, capture_output=True)
    assert chosen.stdout.strip().splitlines()[-1] == "[2]", chosen.stderr


def test_mail_and_the_api_rate_limit_are_set_from_the_environment(tmp_path):
    """docs/deploy.md names these variables: the settings must read them (they were documented
    as `EMAIL_HOST, ...` while only EMAIL_BACKEND was read, so real mail could not be set up)."""
    env = production_env(tmp_path, EMAIL_HOST="smtp.example.org", EMAIL_PORT="587",
                         EMAIL_HOST_USER="cxr", EMAIL_HOST_PASSWORD="s3cret", EMAIL_USE_TLS="1",
                         API_RATE_LIMIT_PER_MINUTE="30")
    script = ("from django.conf import settings as s; from webapp.screening.api_models import default_rate_limit; "
              "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
              "s.EMAIL_USE_TLS, default_rate_limit())")
    result = manage(env, "shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.org", "587",
                                     "cxr", "s3cret", "True", "30"]
