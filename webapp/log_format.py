"""How the app's console log is written (settings.LOGGING): each line with its time, level and
logger, and none repeated for every health probe or forged Host header.

Loaded while logging is configured, before the apps: standard library only.
"""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime


class IsoTimeFormatter(logging.Formatter):
    """`2026-12-05T14:03:07.123+00:00 WARNING webapp.health: ...`: the time in ISO 8601 with
    its offset (UTC: several machines' logs line up), as logging's own asctime has neither a T
    nor an offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


# webapp/health.py's PATH (not imported: that module needs the database, this one runs first).
HEALTH_PATH = "/healthz"


# The links mailed to a person end in a secret: /accounts/reset/<uidb64>/<token>/ (a password
# reset), /accounts/verify-email/<uidb64>/<token>/ (a new account's address) and
# /accounts/confirm-new-email/<uidb64>/<token>/ (a new address from the profile). Anyone who reads
# one in a log could set the account's password, or confirm an address that is not theirs.
# Django's reset view answers the first request with a redirect to .../set-password/ (the token
# then waits in the session), so that part is no secret and stays readable.
SECRET_LINK = re.compile(r"(/accounts/(?:reset|verify-email|confirm-new-email)/[^/\s?#\"]+/)([^/\s?#\"]+)")
REDACTED = "[token]"


def without_link_secrets(text: str) -> str:
    """`text` with the token of every mailed link in it replaced by [token]."""
    return SECRET_LINK.sub(
        lambda match: match[0] if match[2] == "set-password" else match[1] + REDACTED, text)


class LinkSecretsRedacted(logging.Filter):
    """For the console handler: every line of the app's own log (runserver's request lines,
    django.request's "Internal Server Error: /path") without a mailed link's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = without_link_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


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
