"""How the app's console log is written (settings.LOGGING): each line with its time, level and
logger.

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
