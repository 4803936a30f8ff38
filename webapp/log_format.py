"""How the app's console log is written (settings.LOGGING): each line with its time, level and
logger, and none repeated for every health probe or forged Host header.

Loaded while logging is configured, before the apps: standard library only.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime


class IsoTimeFormatter(logging.Formatter):
    """`2026-12-05T14:03:07.123+00:00 WARNING webapp.health: ...`: the time in ISO 8601 with
    its offset (UTC: several machines' logs line up), as logging's own asctime has neither a T
    nor an offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


# webapp/health.py's PATH (not imported: that module needs the database, this one runs first).
HEALTH_PATH = "/healthz"


class NotHealthProbes(logging.Filter):
    """For django.request: leave out the answers of /healthz. A failing check is logged by
    webapp/health.py once each time it changes (with its detail); django.request logged
    "Service Unavailable: /healthz" for every probe, every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return getattr(request, "path", None) != HEALTH_PATH


class OneLineWarning(logging.Filter):
    """For django.security.DisallowedHost: Django logs each request with a Host not in
    ALLOWED_HOSTS as an error with its traceback, 13 lines, for what is a client's (often a
    scanner's) mistake answered with 400. Its message names the host: a warning, one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        # Lowered from the error it was: still only where the operator's level lets warnings in.
        return logging.getLogger(record.name).isEnabledFor(logging.WARNING)
