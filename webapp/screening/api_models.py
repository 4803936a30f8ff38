"""What the JSON API stores: API tokens (named, hashed, expiring, rate-limited) and the
Idempotency-Key records that make an upload safe to retry.

Re-exported by models.py (`from webapp.screening.models import ApiToken`), so the app's models
module stays the one place Django and the other apps look.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Max, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# How long a new key lives, in days: the choices of the API key page (the first is the default).
EXPIRY_CHOICES_DAYS = (90, 30, 365)
DEFAULT_EXPIRY_DAYS = EXPIRY_CHOICES_DAYS[0]
# Requests a token may make per RATE_WINDOW_SECONDS: settings.API_RATE_LIMIT_PER_MINUTE for new
# tokens (default_rate_limit); an administrator can change one token's limit in the admin.
RATE_WINDOW_SECONDS = 60
KEY_PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: nobody can brute-force the input.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_rate_limit() -> int:
    return settings.API_RATE_LIMIT_PER_MINUTE


def rate_window(now: datetime) -> tuple[datetime, int]:
    """The fixed window of RATE_WINDOW_SECONDS that `now` falls in: its start, and the seconds
    until it ends (at least 1, for Retry-After). Every rate limit of the app counts in these
    windows (ApiToken.count_request, rate_limits.count)."""
    epoch = now.timestamp()
    start = datetime.fromtimestamp(epoch - epoch % RATE_WINDOW_SECONDS, tz=UTC)
    return start, max(1, math.ceil(start.timestamp() + RATE_WINDOW_SECONDS - epoch))


def count_in_window(rows, start: datetime, amount: int = 1) -> int:
    """Add `amount` to the window count of `rows` (a queryset of rows with window_start and
    window_count), starting it again at `amount` where the window began before `start`. One
    UPDATE, so concurrent workers never lose a count; returns the rows updated."""
    return rows.update(
        window_count=Case(When(window_start=start, then=F("window_count") + amount), default=Value(amount)),
        window_start=Value(start),
    )


class TokenState:
    """Why a key was accepted or not (the API answers each with its own code)."""

    VALID, UNKNOWN, EXPIRED, INACTIVE_USER = "valid", "unknown", "expired", "inactive_user"


class ApiToken(models.Model):
    """One of a user's keys for the JSON API. Only its hash is stored; the key is shown once.

    A user may hold several (one per program), each with a name, an expiry and a rate limit.
    Revoking deletes the row: the key stops working at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, default="API key")
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    # The first characters of the key, so its owner can tell which key this is.
    prefix = models.CharField(_("prefix"), max_length=KEY_PREFIX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Requests per RATE_WINDOW_SECONDS, counted in the database so that every worker and
    # machine shares one count (app machines are stateless, docs/deploy.md).
    rate_limit = models.PositiveIntegerField(
        _("rate limit (requests per minute)"), default=default_rate_limit,
        help_text=_("Requests this key may make in one minute; more are refused until the "
                    "next minute begins."))
    window_start = models.DateTimeField(_("current minute began"), null=True, blank=True)
    window_count = models.PositiveIntegerField(_("requests in the current minute"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        # What the app's pages call them.
        verbose_name = pgettext_lazy("model", "API key")
        verbose_name_plural = pgettext_lazy("model", "API keys")

    def __str__(self) -> str:
        return f"API token {self.prefix}... ({self.name}) of user {self.user_id}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, user, name: str = "API key", expires_in: timedelta | None = None,
              rate_limit: int | None = None) -> tuple[ApiToken, str]:
        """Create a new token for `user`; return it and the plain key (never stored)."""
        key = secrets.token_urlsafe(32)
        now = timezone.now()
        token = cls.objects.create(
            user=user, name=(name or "API key")[:100], key_hash=hash_key(key),
            prefix=key[:KEY_PREFIX_LENGTH], created_at=now,
            expires_at=now + (expires_in if expires_in is not None else timedelta(days=DEFAULT_EXPIRY_DAYS)),
            rate_limit=default_rate_limit() if rate_limit is None else rate_limit,
        )
        return token, key

    @classmethod
    def authenticate(cls, key: str) -> tuple[str, ApiToken | None]:
        """(TokenState, the token) for a presented key; records its use at most once a minute."""
        if not key:
            return TokenState.UNKNOWN, None
        token = cls.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            return TokenState.UNKNOWN, None
        if not token.user.is_active:
            return TokenState.INACTIVE_USER, token
        now = timezone.now()
        if token.expires_at <= now:
            return TokenState.EXPIRED, token
        # One write a minute is enough to tell the owner when a key was last used.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return TokenState.VALID, token

    @classmethod
    def user_for_key(cls, key: str):
        """The active user owning a valid, unexpired `key`, or None."""
        state, token = cls.authenticate(key)
        return token.user if state == TokenState.VALID else None

    def count_request(self, now=None) -> tuple[bool, int]:
        """Count one request in the current fixed window: (allowed, seconds until the window
        ends). Atomic in the database (one UPDATE), so concurrent workers never lose a count."""
        start, retry_after = rate_window(now or timezone.now())
        count_in_window(type(self).objects.filter(pk=self.pk), start)
        # The account's keys share one count: each key had its own, and twenty keys made twenty
        # times the limit. The account may make as many as its most generous key allows.
        this_window = Q(window_start=start)
        counted = type(self).objects.filter(user_id=self.user_id).aggregate(
            own=Sum("window_count", filter=this_window & Q(pk=self.pk)),
            total=Sum("window_count", filter=this_window), most=Max("rate_limit"))
        allowed = ((counted["own"] or 0) <= self.rate_limit
                   and (counted["total"] or 0) <= (counted["most"] or self.rate_limit))
        return allowed, retry_after


class IdempotentUpload(models.Model):
    """An upload made with an `Idempotency-Key` header: a retry with the same key (by the same
    user, with the same file) answers the same reading and never makes a second one.

    The row is claimed before the model runs (unique per user and key), so two concurrent
    requests with one key cannot both create a reading; the loser is told to retry (409). A
    claim that ends without a reading (the upload was refused) is removed, so a retry runs again.
    Deleting the reading deletes its record: the key then names nothing.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the uploaded bytes: the same key with another file is a client error.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    reading = models.OneToOneField("screening.Reading", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key!r} of user {self.owner_id} -> reading {self.reading_id}"
