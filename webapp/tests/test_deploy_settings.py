"""Production settings, checked the way an operator starts the app: in a fresh process.

`manage.py check --deploy` is Django's own list of deployment mistakes (DEBUG on, weak key,
cookies without Secure, no HSTS, ...); at --fail-level WARNING any one of them fails the run.
"""
from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
# What production needs from the operator before it starts (webapp/settings.py).
OPERATOR_VARIABLES = {"DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL",
                      "PRIVATE_MEDIA_ROOT", "DATA_DIR"}


def documented_check() -> tuple[set[str], list[list[str]]]:
    """The variables exported by docs/deploy.md's "Check the configuration (tested)" block, and
    the arguments of each of its `.venv/bin/python manage.py` commands, in order: the doc says
    this test runs exactly them (with this venv's Python)."""
    text = (REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text.split("## Check the configuration (tested)", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    names: set[str] = set()
    commands: list[list[str]] = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            names |= {word.split("=", 1)[0] for word in words[1:]}
        elif words[:2] == [".venv/bin/python", "manage.py"]:  # the release's venv
            commands.append(words[2:])
    return names, commands


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # Only what an operator sets: nothing of this test run (the browser fixture, for one, sets
    # DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses).
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("DJANGO_DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS",
                       "DATABASE_URL", "PRIVATE_MEDIA_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE",
                       "EMAIL_USE_TLS", "EMAIL_USE_SSL", "SECURE_SSL_REDIRECT")
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="webapp.settings",
        SECRET_KEY=secrets.token_urlsafe(64),  # 86 characters, as `check --deploy` wants 50+
        ALLOWED_HOSTS="cxr.example.org",
        DATA_DIR=str(tmp_path / "data"),
        # Production takes no default for these two (SQLite chosen explicitly is fine).
        DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'db.sqlite3'}",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    names, commands = documented_check()
    # The block as documented must start: production refuses to without each of these; and it
    # names where collectstatic writes, as `check --deploy` looks for the manifest there.
    assert names == OPERATOR_VARIABLES | {"STATIC_ROOT"}
    assert commands == [["collectstatic", "--noinput"],
                        ["check", "--deploy", "--fail-level", "WARNING"]]
    env = production_env(tmp_path, STATIC_ROOT=str(tmp_path / "static"))
    for args in commands:
        result = manage(env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_checklist_names_static_files_not_collected(tmp_path):
    """Without collectstatic every page of production fails ("Missing staticfiles manifest
    entry"), and `check --deploy` said nothing (the operator audit)."""
    result = manage(production_env(tmp_path, STATIC_ROOT=str(tmp_path / "static")),
                    "check", "--deploy")
    assert result.returncode != 0
    assert "webapp.E001" in result.stderr and "collectstatic" in result.stderr
    assert str(tmp_path / "static" / "staticfiles.json") in result.stderr
    # Only --deploy asks: a queue worker's machine runs manage.py commands without static files.
    assert manage(production_env(tmp_path, STATIC_ROOT=str(tmp_path / "static")),
                  "check").returncode == 0


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


def settings_of(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process (as gunicorn does) and print the named ones."""
    code = ("from django.conf import settings as s; "
            f"print(*(repr(getattr(s, n)) for n in {names!r}), sep='|')")
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                          cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("key", ["", "   "])
def test_production_refuses_an_empty_secret_key(tmp_path, key):
    # An empty key used to start, then answer every page with a 500.
    result = manage(production_env(tmp_path, SECRET_KEY=key), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("name", ["DATABASE_URL", "PRIVATE_MEDIA_ROOT"])
@pytest.mark.parametrize("value", [None, ""])
def test_production_refuses_the_local_defaults_of_database_and_media(tmp_path, name, value):
    """Without them production used a SQLite file and a folder under DATA_DIR, local to one
    machine: a second, empty site beside the real one, and no error anywhere."""
    result = manage(production_env(tmp_path, **{name: value}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr
    assert not (tmp_path / "data" / "db.sqlite3").exists()


@pytest.mark.parametrize("value", [None, "", "  "])
def test_production_refuses_the_data_dir_default_inside_the_code(tmp_path, value):
    """DATA_DIR's default is var/ of the checkout: a deploy that replaces the checkout wiped what
    production keeps there (the PACS windows of pacs_status, the export slots, STATIC_ROOT's
    default), so production names it."""
    result = manage(production_env(tmp_path, DATA_DIR=value), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ENV=production needs DATA_DIR in the environment" in result.stderr
    assert str(REPO_DIR / "var") in result.stderr  # the default it refuses, named


@pytest.mark.parametrize(("name", "inside"), [("DATA_DIR", "var"), ("DATA_DIR", "data/site"),
                                             ("PRIVATE_MEDIA_ROOT", "var/private")])
def test_production_refuses_data_named_inside_the_code(tmp_path, name, inside):
    """Named, but inside the checkout ("DATA_DIR=var" from the checkout, or its full path):
    the same wipe on the next deploy as the default's. Refused before any folder is made."""
    for value in (inside, str(REPO_DIR / inside)):
        result = manage(production_env(tmp_path, **{name: value}), "check")
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert f"{name} ({REPO_DIR / inside}) lies inside the code checkout ({REPO_DIR})" in result.stderr
    assert not (REPO_DIR / "data").exists()


@pytest.mark.parametrize("value", [None, ""])
def test_development_keeps_the_data_dir_default(tmp_path, value):
    # Empty is unset, as for the other variables (it was the current folder).
    env = {k: v for k, v in production_env(tmp_path, DATA_DIR=value).items() if k != "DJANGO_ENV"}
    result = settings_of(env, "DATA_DIR")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(REPO_DIR / "var")
    chosen = settings_of(production_env(tmp_path), "DATA_DIR")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == repr(tmp_path / "data")


def test_production_takes_sqlite_when_asked_for_explicitly(tmp_path):
    db = tmp_path / "chosen.sqlite3"
    result = settings_of(production_env(tmp_path, DATABASE_URL=f"sqlite:///{db}"), "DATABASES")
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("True", True), ("YES", True), ("on", True),
    ("0", False), ("false", False), ("FALSE", False), ("no", False), ("Off", False),
])
def test_on_off_settings_take_the_usual_words(tmp_path, value, expected):
    # "true" used to mean off: only "1" was on.
    env = production_env(tmp_path, EMAIL_USE_TLS=value, SECURE_SSL_REDIRECT=value)
    result = settings_of(env, "EMAIL_USE_TLS", "SECURE_SSL_REDIRECT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{expected}|{expected}"


def test_on_off_settings_keep_their_defaults_when_unset(tmp_path):
    result = settings_of(production_env(tmp_path), "EMAIL_USE_TLS", "EMAIL_USE_SSL",
                         "SECURE_SSL_REDIRECT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False|False|True"


@pytest.mark.parametrize("name", ["EMAIL_USE_TLS", "EMAIL_USE_SSL", "SECURE_SSL_REDIRECT"])
@pytest.mark.parametrize("value", ["ture", "2", "enabled"])
def test_on_off_settings_refuse_anything_else_naming_the_variable(tmp_path, name, value):
    result = manage(production_env(tmp_path, **{name: value}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_old_keys_listed_in_secret_key_fallbacks_still_verify_signatures(tmp_path):
    """Rotation (docs/deploy.md): a session or password-reset link signed with the old key must
    stay valid once the old key moves to SECRET_KEY_FALLBACKS."""
    old = secrets.token_urlsafe(64)
    signed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.core import signing; "
         "print(signing.dumps('hello'))"],
        cwd=REPO_DIR, env=production_env(tmp_path, SECRET_KEY=old), capture_output=True,
        text=True, timeout=120)
    assert signed.returncode == 0, signed.stderr
    token = signed.stdout.strip().splitlines()[-1]
    check = ("import django, sys; django.setup(); from django.core import signing; "
             f"print(signing.loads({token!r}))")
    rotated = production_env(tmp_path, SECRET_KEY_FALLBACKS=f"{secrets.token_urlsafe(64)}, {old}")
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO_DIR, env=rotated,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "hello"
    forgotten = subprocess.run([sys.executable, "-c", check], cwd=REPO_DIR,
                               env=production_env(tmp_path), capture_output=True, text=True,
                               timeout=120)
    assert "BadSignature" in forgotten.stderr


def test_secret_key_fallbacks_listed_with_spaces_are_refused(tmp_path):
    env = production_env(tmp_path, SECRET_KEY_FALLBACKS="oldkey1 oldkey2")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY_FALLBACKS" in result.stderr


@pytest.mark.parametrize("value", ["Production", "prod", "staging"])
def test_an_unknown_environment_name_is_refused_not_taken_for_development(tmp_path, value):
    """DJANGO_ENV=Production started in development mode (the operator audit): DEBUG's default,
    cookies without Secure, no HTTPS redirect, password-reset mail written to files."""
    result = manage(production_env(tmp_path, DJANGO_ENV=value), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"DJANGO_ENV={value!r}" in result.stderr


@pytest.mark.parametrize("name", ["TRUSTED_PROXY_COUNT", "QUEUE_WORKERS", "MAX_UPLOAD_BYTES", "DB_CONN_MAX_AGE",
                                  "API_RATE_LIMIT_PER_MINUTE", "PACS_LOOKBACK_DAYS", "WEB_UPLOADS_PER_MINUTE",
                                  "WEB_PDF_REPORTS_PER_MINUTE"])
def test_a_number_setting_that_is_no_number_names_the_variable(tmp_path, name):
    result = manage(production_env(tmp_path, **{name: "two"}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{name}='two'" in result.stderr


# A limit, count or size of 0 (or below) refused every upload, PDF or API request, or started no
# queue worker, with nothing said: each needs at least 1. None of the others may be negative.
AT_LEAST_ONE = ["API_RATE_LIMIT_PER_MINUTE", "WEB_UPLOADS_PER_MINUTE", "WEB_PDF_REPORTS_PER_MINUTE",
                "MAX_UPLOAD_BYTES", "EXPORTS_AT_ONCE", "AXES_FAILURE_LIMIT", "QUEUE_WORKERS",
                "QUEUE_MAX_ATTEMPTS", "SESSION_IDLE_MINUTES", "PACS_QUERY_LIMIT"]


@pytest.mark.parametrize(("name", "value"), [(name, "0") for name in AT_LEAST_ONE]
                         + [("TRUSTED_PROXY_COUNT", "-1"), ("DB_CONN_MAX_AGE", "-5")])
def test_a_number_setting_out_of_its_range_names_the_variable(tmp_path, name, value):
    result = manage(production_env(tmp_path, **{name: value}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{name}={value!r} must be at least" in result.stderr


def test_the_log_level_is_taken_in_any_case(tmp_path):
    result = manage(production_env(tmp_path, LOG_LEVEL="debug"), "check")
    assert result.returncode == 0, result.stderr
    refused = manage(production_env(tmp_path, LOG_LEVEL="loud"), "check")
    assert refused.returncode != 0 and "LOG_LEVEL='loud'" in refused.stderr


def test_the_documented_queue_count_prints_only_the_number(tmp_path):
    """docs/deploy.md has operators wait until the queue count "prints `0`"; Django's shell put
    "24 objects imported automatically" before it (the operator audit), so a script comparing
    the output with 0 never went on."""
    text = (REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"`(?:\S*python) manage\.py (shell [^`]+)`", text))
    assert len(commands) == 1, commands  # the same command everywhere it appears
    env = production_env(tmp_path)
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    result = manage(env, *shlex.split(commands.pop()))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0\n"


def test_the_queue_stall_limit_of_healthz_is_set_from_the_environment(tmp_path):
    """docs/deploy.md names HEALTH_QUEUE_STALLED_SECONDS as the limit after which /healthz says
    the queue is stalled, but only a settings file could set it (the operator audit)."""
    result = settings_of(production_env(tmp_path, HEALTH_QUEUE_STALLED_SECONDS="900"),
                         "HEALTH_QUEUE_STALLED_SECONDS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "900"
    assert settings_of(production_env(tmp_path), "HEALTH_QUEUE_STALLED_SECONDS").stdout.strip() == "300"
    wrong = manage(production_env(tmp_path, HEALTH_QUEUE_STALLED_SECONDS="5m"), "check")
    assert wrong.returncode != 0 and "HEALTH_QUEUE_STALLED_SECONDS" in wrong.stderr


def test_the_accession_system_of_the_fhir_report_is_set_from_the_environment(tmp_path):
    """The FHIR report's accession numbers carry the issuing site's identifier system
    (docs/pacs.md); a value that is no absolute URI would make the report invalid FHIR."""
    site = "http://sys-ids.kemkes.go.id/acsn/100000001"
    result = settings_of(production_env(tmp_path, FHIR_ACCESSION_SYSTEM=site),
                         "FHIR_ACCESSION_SYSTEM")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(site)
    refused = manage(production_env(tmp_path, FHIR_ACCESSION_SYSTEM="RS Sehat"), "check")
    assert refused.returncode != 0 and "FHIR_ACCESSION_SYSTEM='RS Sehat'" in refused.stderr
