"""Settings, read from environment variables with safe development defaults.

DJANGO_ENV=production turns DEBUG off and requires SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL,
PRIVATE_MEDIA_ROOT and DATA_DIR from the environment. DATABASE_URL selects the database (in
development, default: SQLite under DATA_DIR, itself by default var/ of the checkout). On/off variables take 1/0, true/false, yes/no or on/off.
"""
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Every process of the app (gunicorn workers, the job queue's workers, runserver) runs the model
# side by side with others on the same cores. numpy's BLAS pool gains nothing on the guard's
# small matrix products and its idle threads spin: two processes reading 2,000 px X-rays on two
# cores managed 27 readings/s with it and 48 without (docs/performance.md). Set here, the one
# place every process loads (gunicorn.conf.py does not set it again), before the apps import
# numpy (nothing above does); an explicit value wins.
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent

ENV = os.environ.get("DJANGO_ENV", "development")
if ENV not in ("development", "production"):
    # "Production" or "prod" must not start a development server with production data.
    raise ImproperlyConfigured(f"DJANGO_ENV={ENV!r} is neither development nor production")
PRODUCTION = ENV == "production"


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number variable of at least `minimum`; unset or empty: `default`. Anything else
    stops the start-up naming the variable (int() alone says only "invalid literal"; a limit of
    0 refused every request with nothing said)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r} must be at least {minimum}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    """An on/off variable: 1/true/yes/on or 0/false/no/off, any case; unset or empty: `default`.
    Anything else stops the start-up: `EMAIL_USE_TLS=True` must not silently mean off."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is neither on (1, true, yes, on) nor off (0, false, no, off)"
    )


if PRODUCTION:
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if not SECRET_KEY.strip():
        # An empty key would start and then fail every request with a 500.
        raise ImproperlyConfigured("DJANGO_ENV=production needs SECRET_KEY in the environment "
                                   "(it is missing or empty)")
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS in the environment")
else:
    # Off unless asked for (`make dev`): a mistyped URL must not show the URL map.
    DEBUG = _env_bool("DJANGO_DEBUG", False)
    # A development-only key: production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]", "testserver"]
# Earlier keys, comma-separated like ALLOWED_HOSTS, newest first: sessions and password-reset
# links signed with them stay valid after SECRET_KEY changes (docs/deploy.md, "Changing
# SECRET_KEY"). The job queue signs its jobs with SECRET_KEY alone: drain it before a change.
SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS")
if any(len(key.split()) != 1 for key in SECRET_KEY_FALLBACKS):
    raise ImproperlyConfigured("SECRET_KEY_FALLBACKS: separate the keys with commas, not spaces")

# Where the database (SQLite default), uploaded images, sent-emails/ and collected static files
# live (logs go to the console only). The development default, var/, is ignored by git but lies
# inside the code checkout, which a deploy may replace whole: production names its own folder.
_DATA_DIR_DEFAULT = REPO_DIR / "var"
if PRODUCTION and not os.environ.get("DATA_DIR", "").strip():
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs DATA_DIR in the environment: a folder outside the code "
        f"checkout (the development default, {_DATA_DIR_DEFAULT}, is inside it, and a deploy "
        "that replaces the checkout would wipe it)"
    )


def _outside_the_code(name: str, folder: Path) -> Path:
    """`folder`, refused in production where it lies inside the code checkout: named there on
    purpose or by a relative path, it is wiped as the default would be by the next deploy."""
    if PRODUCTION and folder.is_relative_to(REPO_DIR):
        raise ImproperlyConfigured(
            f"{name} ({folder}) lies inside the code checkout ({REPO_DIR}): a deploy that "
            "replaces the checkout would wipe it. Name a folder outside it, e.g. /var/lib/cxr"
        )
    return folder


DATA_DIR = _outside_the_code("DATA_DIR", Path(os.environ.get("DATA_DIR", "").strip() or _DATA_DIR_DEFAULT).resolve())
DATA_DIR.mkdir(parents=True, exist_ok=True)
if PRODUCTION:
    # The development defaults (a SQLite file and a folder under DATA_DIR, local to one machine)
    # would start a second, empty site beside the real one: production names both explicitly.
    # `sqlite:///PATH` and a local folder are allowed, chosen on purpose.
    for _name, _default in (("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
                            ("PRIVATE_MEDIA_ROOT", DATA_DIR / "private")):
        if not os.environ.get(_name, "").strip():
            raise ImproperlyConfigured(
                f"DJANGO_ENV=production needs {_name} in the environment (the development "
                f"default would be {_default})"
            )
# Uploaded X-rays are private: never under a public static/media URL, served only by views
# that check ownership.
PRIVATE_MEDIA_ROOT = _outside_the_code(
    "PRIVATE_MEDIA_ROOT", Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private")).resolve())
if not os.environ.get("PRIVATE_MEDIA_ROOT", "").strip():
    # The development default is made with DATA_DIR, so that a fresh install's /healthz is not
    # 503 "missing" until the first upload. A folder named in the environment (production names
    # it) is not made here: missing, it is a volume that was not mounted, and /healthz says so.
    PRIVATE_MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)

# The ONNX model directory served by the app; empty means the bundled model.
CXR_MODEL_DIR = os.environ.get("CXR_MODEL_DIR", "")
# This site's own calibration (`python -m cxr validate-site ... --calibration-out FILE`): when set,
# every reading's probabilities, prediction set and label come from it. Empty: the model card's.
CXR_SITE_CALIBRATION = os.environ.get("CXR_SITE_CALIBRATION", "")
# CXR_ORT_THREADS (ONNX Runtime threads per model run) is read when the model loads; a wrong value
# stops the app here, as it starts, rather than leaving every reading unavailable.
from cxr.inference.predictor import default_threads  # noqa: E402

try:
    default_threads()
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# The hospital map's tile server ({z}/{x}/{y} URL template; empty: no map background) and the
# attribution its licence asks for (HTML; empty: OpenStreetMap's, translated). The hospital page
# allows that server in its Content-Security-Policy.
HOSPITAL_MAP_TILES = os.environ.get("HOSPITAL_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
HOSPITAL_MAP_ATTRIBUTION = os.environ.get("HOSPITAL_MAP_ATTRIBUTION", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # the JSON API's framework: its bundled Swagger UI static files
    "webapp.accounts",
    "webapp.screening",
    "webapp.hospitals",
    "webapp.guide",
    "webapp.audit",
    "django_q",  # the job queue (PACS ingest and write-back); its broker is this database
    "webapp.pacs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy, Permissions-Policy and friends (webapp/middleware.py).
    "webapp.middleware.SecurityHeadersMiddleware",
    # GET /healthz for load balancers, answered here: before sessions, CSRF, login, the
    # language and the Host check (a probe names the machine by its address) (webapp/health.py).
    "webapp.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every error under /api/ is a JSON problem, whoever raised it (webapp/screening/api_problems.py).
    "webapp.screening.api_problems.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Nobody signed in sends a body over 1 MiB: refused before CSRF reads it (webapp/signed_out_bodies.py).
    "webapp.signed_out_bodies.SignedOutBodyLimitMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in session ends after SESSION_IDLE_MINUTES without a request (webapp/accounts/idle.py).
    "webapp.accounts.idle.IdleTimeoutMiddleware",
    # The reader's time zone: profile, else the browser's (webapp/accounts/timezones.py).
    "webapp.accounts.timezones.TimeZoneMiddleware",
    # Who viewed, downloaded or deleted which reading (webapp/audit/middleware.py).
    "webapp.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page instead of Django's empty body for 405 outside the API (webapp/error_pages.py).
    "webapp.error_pages.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every page requires login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Axes last: it needs the authenticated user and the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The idle time a signed-in page warns of (webapp/accounts/idle.py).
                "webapp.accounts.idle.session_idle",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=_env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN, so
    # concurrent uploads wait their turn (up to `timeout` s) instead of failing "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
         "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, which also notes a right password for a deactivated account (its docstring).
    "webapp.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

# Brute-force protection: lock an account+IP after AXES_FAILURE_LIMIT failed logins.
AXES_FAILURE_LIMIT = _env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Quiet: no "AXES: BEGIN ..." banner on every manage.py command (model_status, cron jobs, scripts
# that read its output), and lockout log lines carry only the lockout parameters, no user agent.
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The login form posts the email as `username`; count attempts per lower-cased address.
AXES_USERNAME_CALLABLE = "webapp.accounts.lockout.username_for_axes"
# Behind a reverse proxy the visitor's address is in X-Forwarded-For: TRUSTED_PROXY_COUNT says
# how many proxies of ours append to it (0: none, use REMOTE_ADDR). See webapp/audit/network.py.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "webapp.audit.network.client_ip"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Date formats that name the time zone (webapp/formats/).
FORMAT_MODULE_PATH = ["webapp.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
        # Public files, readable by whoever serves them (collectstatic may run as another user
        # when an image is built): not the owner-only FILE_UPLOAD_PERMISSIONS below.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
# In development whitenoise serves straight from the finders: no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Upload limits (the screening app enforces its own, clearer limit on top of these).
# 64 MiB: a flat-panel detector's uncompressed DICOM is 20-40 MB (cxr.inference.decode.MAX_BYTES).
MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_BYTES", 64 * 1024 * 1024, minimum=1)
# All images of one site-validation run together (staff only; read in the request, never stored).
# "Download my data" archives made at once on one machine (webapp/accounts/export_slots.py):
# each holds a server thread and a CPU until it is sent.
EXPORTS_AT_ONCE = _env_int("EXPORTS_AT_ONCE", 2, minimum=1)
SITE_VALIDATION_MAX_BYTES = _env_int("SITE_VALIDATION_MAX_BYTES", 8 * MAX_UPLOAD_BYTES, minimum=1)
# Requests per minute an API key may make, for keys issued from now on (docs/api.md).
API_RATE_LIMIT_PER_MINUTE = _env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# The same per account for what costs the server work without a key (webapp/screening/rate_limits.py):
# X-ray files sent through the upload page, and PDF reports made from the reading page, per
# minute. API requests made with a signed-in browser session have API_RATE_LIMIT_PER_MINUTE.
# An upload page's queue sends up to 20 files at once, one request each
# (screening.views.MAX_FILES_PER_UPLOAD), and a PDF takes a worker about a second to draw.
WEB_UPLOADS_PER_MINUTE = _env_int("WEB_UPLOADS_PER_MINUTE", 60, minimum=1)
WEB_PDF_REPORTS_PER_MINUTE = _env_int("WEB_PDF_REPORTS_PER_MINUTE", 30, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploaded files are medical images: owner-only (not 0644/0755, readable by every local user).
# Django's storage classes read these; the X-rays and their derived images are written by
# webapp/screening/storage.py with the same modes.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "sent-emails"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@cxr-screening.local")
# The SMTP server for real mail (docs/deploy.md); Django's defaults (localhost:25) otherwise.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)

# A browser session ends after this many minutes without a request (each request moves the end
# on; webapp/accounts/idle.py), not Django's 14 days: a shared computer on a ward must not stay
# signed in to someone's X-rays. API keys are not sessions and keep their own expiry.
SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "webapp.views.csrf_failure"  # says what happened, in the reader's language
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer probes each app machine's /healthz over plain HTTP: answered, not
    # redirected (it holds no secret and sets no cookie; webapp/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

# The job queue (django-q2, docs/pacs.md): its broker is the database above, so `make run` needs
# no extra server; workers are separate processes (`manage.py qcluster`, `make worker`). A job
# not acknowledged within QUEUE_RETRY seconds (its worker was killed) is handed out again; the
# PACS jobs are idempotent, so a second delivery finishes the work without repeating it.
Q_CLUSTER = {
    "name": "cxr",
    "orm": "default",
    "workers": _env_int("QUEUE_WORKERS", 2, minimum=1),
    "timeout": _env_int("QUEUE_TIMEOUT", 300, minimum=1),
    "retry": _env_int("QUEUE_RETRY", 330, minimum=1),
    "max_attempts": _env_int("QUEUE_MAX_ATTEMPTS", 5, minimum=1),
    "ack_failures": False,
    "catch_up": False,
    "save_limit": 1000,
    "recycle": 500,
}
# /healthz says "queue": "stalled" when a file of a multi-file upload has waited longer than this
# (webapp/health.py): a file is read in seconds, so the queue's workers are likely stopped.
HEALTH_QUEUE_STALLED_SECONDS = _env_int("HEALTH_QUEUE_STALLED_SECONDS", 300, minimum=1)
# Error reports (the DEBUG page, mails to ADMINS) hide passwords written into URLs as well.
DEFAULT_EXCEPTION_REPORTER_FILTER = "webapp.debug_reports.UrlPasswordHidingFilter"
# The PACS (DICOMweb root, e.g. http://orthanc:8042/dicom-web) and the account (e-mail) that owns
# the readings made from its studies; empty: no PACS (docs/pacs.md).
PACS_DICOMWEB_URL = os.environ.get("PACS_DICOMWEB_URL", "")
PACS_SITE_ACCOUNT = os.environ.get("PACS_SITE_ACCOUNT", "")
# Studies are looked for by StudyDate (undated ones by SeriesDate): this many days back
# (pacs_ingest --days overrides it).
PACS_LOOKBACK_DAYS = _env_int("PACS_LOOKBACK_DAYS", 7, minimum=1)
# The most studies the PACS returns for one query (Orthanc: LimitFindResults): a query answered
# with this many is asked again in smaller time windows, so a capped answer loses nothing.
PACS_QUERY_LIMIT = _env_int("PACS_QUERY_LIMIT", 100, minimum=1)
# The FHIR identifier system of the accession numbers in the FHIR report (webapp/pacs/fhir.py):
# an accession number is unique only within the organisation that issued it, so a receiver
# matches it by system and value. The default names this app, not the hospital; a site sets
# its own (SATUSEHAT: http://sys-ids.kemkes.go.id/acsn/<organisation id>), docs/pacs.md.
FHIR_ACCESSION_SYSTEM = (os.environ.get("FHIR_ACCESSION_SYSTEM", "").strip()
                         or "urn:x-cxr-screening:accession-number")
if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", FHIR_ACCESSION_SYSTEM):
    raise ImproperlyConfigured(f"FHIR_ACCESSION_SYSTEM={FHIR_ACCESSION_SYSTEM!r} is no absolute "
                               "URI (e.g. http://sys-ids.kemkes.go.id/acsn/<organisation id>)")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL={os.environ['LOG_LEVEL']!r} is none of DEBUG, INFO, WARNING, "
                               "ERROR, CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # When, how bad and where from: a bare message cannot be matched to a request or an outage.
    "formatters": {"plain": {"()": "webapp.log_format.IsoTimeFormatter",
                             "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # No line holds a mailed link's token (password reset, email verification): log_format.py.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["link_secrets_redacted"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # /healthz's failures are logged by webapp/health.py, once each time a check changes; a
    # request with a Host not in ALLOWED_HOSTS is a warning of one line, not a traceback.
    "filters": {"not_health_probes": {"()": "webapp.log_format.NotHealthProbes"},
                "one_line_warning": {"()": "webapp.log_format.OneLineWarning"},
                "link_secrets_redacted": {"()": "webapp.log_format.LinkSecretsRedacted"}},
    "loggers": {"django.request": {"level": "ERROR", "filters": ["not_health_probes"]},
                # LOG_LEVEL here too: Django's own configuration gives django.* INFO.
                "django.security.DisallowedHost": {"level": LOG_LEVEL, "filters": ["one_line_warning"]},
                # runserver's request lines, which name every path: through the console's filter.
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
