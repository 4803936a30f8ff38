"""`GET /healthz`: can this process serve screening? For load balancers and monitoring.

Answers JSON `{"status": "ok" | "degraded" | "unavailable", "checks": {"database": ..., "model":
..., "storage": ..., "static": ..., "queue": ...}}`: 200 and "ok" when every check says "ok"; 503
and "unavailable" when the database, model, storage or static check fails (this process cannot
serve screening: take it out of rotation); 200 and "degraded" when only the queue check fails (the
queue's workers run elsewhere: this process still serves pages, monitoring should alert). A
failing check says why with a short code, never a path, a message or a traceback (anyone who can
reach the URL may read it):

- database: a trivial query ("error" when it fails), and, until it once finds none, whether
  migrations are left to apply ("migrations_pending": the tables the pages need are missing);
- model: the engine's shared predictor (webapp/screening/engine.py), loaded once per process and
  then only looked up; "not_installed", "card_unreadable", "site_calibration_unusable",
  "load_failed" (a damaged model folder: a file that cannot be read, a part its card describes
  missing, a card that does not fit the network) or "inference_missing" (the package cannot be
  imported);
  `manage.py model_status` prints the details;
- storage: PRIVATE_MEDIA_ROOT is a folder ("missing") in which this process can create a file
  ("not_writable"); the probe file has no name (O_TMPFILE) or is removed at once;
- static: where the manifest storage of production is in use, every page names its stylesheet
  through collectstatic's manifest (STATIC_ROOT/staticfiles.json) and fails without it, the
  error page too: "manifest_missing" (collectstatic has not run into STATIC_ROOT) or
  "restart_needed" (it ran after this process had read the manifest's absence: the process
  keeps that until it restarts). Always "ok" where static files are served from the source
  folders (development);
- queue: "stalled" when a file of a multi-file upload has waited (queued, or taken by a worker
  and not finished) longer than HEALTH_QUEUE_STALLED_SECONDS (default 300): a file is read in
  seconds, so the queue's workers (`manage.py qcluster`) are most likely stopped or stuck.

Answered by a middleware near the top of the stack: no session, cookie, CSRF token, login,
language or audit record, and any Host header (a load balancer names each machine by its
address, which is not in ALLOWED_HOSTS). Production settings exempt it from the HTTPS redirect.
Never cached. Cheap: two indexed queries, a dictionary look-up, a file creation and a stat.
"""
from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers

PATH = "/healthz"
OK = "ok"
log = logging.getLogger(__name__)
_last: dict[str, str] = {}  # check -> its last result in this process, to log changes only
# Once every migration is applied it stays so for this process: the plan (which reads the
# migration files) is only worked out until then, and /healthz stays a query afterwards.
_migrated = False


def check_database() -> str:
    global _migrated
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not _migrated:
            from django.db.migrations.executor import MigrationExecutor

            executor = MigrationExecutor(connection)
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return _note("database", "migrations_pending")
            _migrated = True
    except Exception as exc:  # noqa: BLE001 - any failure is "error"; the log has the rest
        _note("database", "error", exc)
        return "error"
    return _note("database", OK)


def check_model() -> str:
    from webapp.screening.engine import ModelUnavailable, get_predictor

    try:
        get_predictor()  # the process's shared predictor: loaded at most once, then looked up
    except ModelUnavailable as exc:
        return _note("model", exc.reason, exc.detail)  # the engine's kind of failure
    except Exception as exc:  # noqa: BLE001 - the answer is a code, never a traceback
        return _note("model", "load_failed", exc)
    return _note("model", OK)


def _probe_write(folder: Path) -> None:
    """Create a file in `folder` and leave nothing behind; raises OSError when it cannot."""
    if hasattr(os, "O_TMPFILE"):
        try:  # an unnamed file: nothing to remove, even if this process is killed now
            os.close(os.open(folder, os.O_WRONLY | os.O_TMPFILE, 0o600))
            return
        except OSError as exc:  # file systems without O_TMPFILE (NFS) say so in one of these
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    fd, name = tempfile.mkstemp(prefix=".healthz-", dir=folder)
    os.close(fd)
    os.unlink(name)


def check_storage() -> str:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    if not root.is_dir():
        return _note("storage", "missing")
    try:
        _probe_write(root)
    except OSError as exc:
        return _note("storage", "not_writable", exc)
    return _note("storage", OK)


def missing_manifest() -> Path | None:
    """Where collectstatic's manifest should be, when the manifest storage is in use (production)
    and it is not there; None otherwise (it is, or development serves the source folders)."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.utils.module_loading import import_string

    # The class from the settings, not the storage object: making that object reads the
    # manifest once for the life of the process, and a probe before collectstatic must not fix
    # its absence into a process that has served no page yet.
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    if not issubclass(backend, ManifestFilesMixin):
        return None
    manifest = Path(settings.STATIC_ROOT) / backend.manifest_name
    return None if manifest.is_file() else manifest


def check_static() -> str:
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
    from django.utils.functional import empty

    manifest = missing_manifest()
    if manifest is not None:
        return _note("static", "manifest_missing", manifest)
    loaded = staticfiles_storage._wrapped  # the storage this process's pages use, if made yet
    if loaded is not empty and isinstance(loaded, ManifestFilesMixin) and not loaded.hashed_files:
        return _note("static", "restart_needed", "the manifest appeared after this process read none")
    return _note("static", OK)


def check_static_manifest(app_configs=None, **kwargs) -> list:
    """`manage.py check --deploy`: the same missing manifest as /healthz's "static" check.
    Registered for --deploy only (screening/apps.py): a queue worker's machine runs manage.py
    commands without ever serving a page, and the documented release runs collectstatic first."""
    from django.core import checks

    manifest = missing_manifest()
    if manifest is None:
        return []
    return [checks.Error(
        f"The static files have not been collected: {manifest} is missing, so every page "
        "(the error page too) would fail with \"Missing staticfiles manifest entry\".",
        hint="Run `manage.py collectstatic --noinput` with this environment, then this check "
             "(docs/deploy.md, \"Each release\").",
        id="webapp.E001")]


QUEUE_STALLED_SECONDS = 300


def check_queue() -> str:
    from datetime import timedelta

    from django.utils import timezone

    from webapp.screening.batch_models import BatchItem

    limit = getattr(settings, "HEALTH_QUEUE_STALLED_SECONDS", QUEUE_STALLED_SECONDS)
    try:
        stalled = BatchItem.objects.filter(
            state__in=(BatchItem.State.QUEUED, BatchItem.State.READING),
            updated_at__lt=timezone.now() - timedelta(seconds=limit)).exists()
    except Exception as exc:  # noqa: BLE001 - the database check says what failed
        _note("queue", "error", exc)
        return "error"
    return _note("queue", "stalled" if stalled else OK)


def _note(check: str, result: str, detail: object = "") -> str:
    """`result`, logged when it differs from this check's last one in this process (a probe every
    few seconds must not fill the log), with the detail the JSON leaves out."""
    if _last.get(check) != result:
        _last[check] = result
        if result == OK:
            log.info("health: %s ok", check)
        else:
            log.warning("health: %s %s: %s", check, result, detail)
    return result


def health() -> tuple[dict, int]:
    """The JSON body and the status code of /healthz."""
    checks = {"database": check_database(), "model": check_model(), "storage": check_storage(),
              "static": check_static()}
    serving = all(result == OK for result in checks.values())
    # The queue's workers are other processes, often on other machines: a stalled queue is not
    # this process's fault, so it stays in rotation (200) and says "degraded" to monitoring.
    checks["queue"] = check_queue() if checks["database"] == OK else "unknown"
    if not serving:
        return {"status": "unavailable", "checks": checks}, 503
    return {"status": "ok" if checks["queue"] == OK else "degraded", "checks": checks}, 200


class HealthCheckMiddleware:
    """Answers GET (and HEAD) /healthz itself; passes every other request on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponseNotAllowed(["GET", "HEAD"])
        else:
            body, status = health()
            response = JsonResponse(body, status=status)
        add_never_cache_headers(response)
        return response
