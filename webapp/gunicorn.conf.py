"""gunicorn settings for serving the app (`gunicorn -c webapp/gunicorn.conf.py webapp.wsgi`).

The layout: one worker process per core, each running the model with one ONNX Runtime thread,
and a few request threads per worker so that a slow upload or the database never leaves a core
idle (docs/performance.md, "Server layout", has the measurements). Every setting can be
overridden on the command line or with the environment variables below.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

from gunicorn.glogging import Logger

cores = os.cpu_count() or 1
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", cores))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 120  # a 64 MiB DICOM plus inference takes seconds; a stuck worker is replaced
max_requests, max_requests_jitter = 1000, 100
# Long request lines reach the app, which answers the API's JSON 414 itself (docs/deploy.md).
limit_request_line = 0
# An access log on stdout (the journal under systemd), one line per request: gunicorn writes
# none unless asked, and the app's own log names only what went wrong.
accesslog = "-"


class VisitorAccessLogger(Logger):
    """The access log's first field (%(h)s) is the visitor's address as the app sees it: behind
    TRUSTED_PROXY_COUNT proxies, the entry of X-Forwarded-For they appended (webapp/audit/network.py,
    as login throttling and the audit log use), not nginx's own address, which every line would
    name. Entries a client wrote itself further left are not trusted, there as here.

    A mailed link's token (password reset, email verification) is left out of every field: the
    request line, the path, the referer and any header or environ field a format names
    (webapp/log_format.py)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        from webapp.audit.network import client_ip  # in a worker: the app, so Django, is loaded
        from webapp.log_format import without_link_secrets

        atoms = {name: without_link_secrets(value) if isinstance(value, str) else value
                 for name, value in atoms.items()}
        atoms["h"] = client_ip(SimpleNamespace(META=environ)) or "-"
        return atoms


logger_class = VisitorAccessLogger
# Set before the workers import onnxruntime (they fork from this process): one model thread per
# worker. numpy's BLAS pool is turned off by webapp/settings.py, in every process of the app.
os.environ.setdefault("CXR_ORT_THREADS", "1")


def post_worker_init(worker):
    """Load the model as the worker starts, not in the first person's upload."""
    from webapp.screening.engine import ModelUnavailable, get_predictor

    try:
        get_predictor()
    except ModelUnavailable as exc:  # served anyway: the pages say no model is installed
        worker.log.warning("no model loaded: %s", exc.detail)
