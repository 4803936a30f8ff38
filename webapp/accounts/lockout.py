"""How django-axes names the account in a login attempt.

Django's login form posts the email address in a field called `username`, while axes by
default reads the field named after USERNAME_FIELD (`email`) and would see no name at all.
Lower-casing matters too: without it `Ana@x.org`, `ANA@x.org`, ... would each get their own
five attempts and the lockout could be walked around.

Also: how many attempts are left (the login page warns before the last one) and clearing an
account's lockout when its password has been reset.
"""
import math

from axes.helpers import get_cool_off
from axes.utils import reset
from django.conf import settings

from .models import normalise_email


def username_for_axes(request, credentials=None) -> str:
    if credentials and credentials.get("username"):
        return normalise_email(credentials["username"])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalise_email(data.get("username", ""))


def failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def lock_minutes() -> int:
    """The lock's length in whole minutes (AXES_COOLOFF_TIME, 0.25 h -> 15), 0 when unlimited."""
    delta = get_cool_off()
    if not delta:
        return 0
    return max(1, math.ceil(delta.total_seconds() / 60))


def attempts_left(request) -> int | None:
    """How many more failed logins this address and account may make before the lock, after a
    failed attempt in `request` (django-axes counts them); None when axes did not count it."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return None
    return max(0, failure_limit() - int(failures))


def clear_lockout(user) -> int:
    """Forget every failed login of `user`'s address (all networks): a completed password reset
    proves the person owns the mailbox, so the old guesses no longer count. Returns how many
    attempt records went."""
    return reset(username=normalise_email(user.email))


def forget_logins(user) -> None:
    """Delete django-axes' records of `user`'s logins (address, IP, browser) with the account."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = normalise_email(user.email)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
