"""Per-account limits on what costs the server work when it is asked for without an API key,
counted as the keys' requests are (api_models.ApiToken.count_request): in fixed windows of
RATE_WINDOW_SECONDS, in the database, so that every worker and machine shares one count.

- UPLOAD: X-rays sent through the upload page, one per file (settings.WEB_UPLOADS_PER_MINUTE);
- PDF_REPORT: PDF reports made from the reading page (settings.WEB_PDF_REPORTS_PER_MINUTE);
- API_SESSION: API requests made with the browser's signed-in session instead of a key
  (settings.API_RATE_LIMIT_PER_MINUTE, the keys' own default, api_auth.TokenAuth).

A request past the limit answers 429 with Retry-After; it is counted too, as a key's is.
"""
from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .api_models import RATE_WINDOW_SECONDS, count_in_window, default_rate_limit, rate_window

__all__ = ["API_SESSION", "PDF_REPORT", "RATE_WINDOW_SECONDS", "UPLOAD", "AccountRateWindow", "count", "limit_for"]

UPLOAD, PDF_REPORT, API_SESSION = "upload", "pdf_report", "api_session"


def limit_for(kind: str) -> int:
    """How many of `kind` an account may ask for in one window, as the settings say now."""
    if kind == UPLOAD:
        return settings.WEB_UPLOADS_PER_MINUTE
    if kind == PDF_REPORT:
        return settings.WEB_PDF_REPORTS_PER_MINUTE
    if kind == API_SESSION:
        return default_rate_limit()
    raise ValueError(f"unknown rate-limited kind: {kind!r}")


class AccountRateWindow(models.Model):
    """One account's count of one kind of request (UPLOAD, PDF_REPORT, API_SESSION) in the
    current window. Deleted with the account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    window_start = models.DateTimeField()
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_rate_window_per_account_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.window_count} since {self.window_start:%H:%M:%S} by user {self.user_id}"


def count(user, kind: str, amount: int = 1, limit: int | None = None, now=None) -> tuple[bool, int]:
    """Count `amount` requests (or files) of `kind` for `user` in the current window: (allowed,
    seconds until the window ends). `limit` defaults to limit_for(kind)."""
    start, retry_after = rate_window(now or timezone.now())
    rows = AccountRateWindow.objects.filter(user=user, kind=kind)
    if not count_in_window(rows, start, amount):
        try:
            with transaction.atomic():
                AccountRateWindow.objects.create(user=user, kind=kind, window_start=start, window_count=amount)
        except IntegrityError:  # another worker made the row first: count on it
            count_in_window(rows, start, amount)
    counted = rows.values_list("window_count", flat=True).get()
    return counted <= (limit_for(kind) if limit is None else limit), retry_after
