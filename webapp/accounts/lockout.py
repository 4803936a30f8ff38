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
    # When axes records a failure, the credentials are authenticate()'s ("username"); when its
    # backend checks the lock, they are keyed by USERNAME_FIELD ("email"). Either names the
    # account; only the login form also posts it (as "username").
    for key in ("username", "email"):
        if credentials and credentials.get(key):
            return normalise_email(credentials[key])
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


# The login page and the account's own password checks warn when this many attempts or fewer
# are left before the lock.
WARN_WHEN_ATTEMPTS_LEFT = 1


def last_attempts_warning(request) -> str:
    """After a wrong password in `request`: the login page's warning ("1 attempt left before a
    15-minute lock. ...") when the next wrong one locks the account, else ""."""
    from django.utils.translation import gettext, ngettext

    left = attempts_left(request)
    if left is None or not 0 < left <= WARN_WHEN_ATTEMPTS_LEFT:
        return ""
    return (ngettext("%(left)s attempt left before a %(minutes)s-minute lock.",
                     "%(left)s attempts left before a %(minutes)s-minute lock.", left)
            % {"left": left, "minutes": lock_minutes()} + " "
            + gettext("If you are not sure of your password, reset it instead: a new password also lifts the lock."))


def password_confirmed(request, user, password: str) -> bool:
    """Whether `password` is `user`'s, asked the way a login asks it, so that django-axes counts
    a wrong one against the same lock as failed logins: pages that ask a signed-in person for
    the password again (a new email address, deleting the account, a new password) must not
    let a borrowed browser try passwords without limit. Once locked, the right password is
    refused too and the middleware answers with the lockout page."""
    from django.contrib.auth import authenticate

    found = authenticate(request, username=user.email, password=password)
    return found is not None and found.pk == user.pk


def clear_lockout(user) -> int:
    """Forget every failed login of `user`'s address (all networks): a completed password reset
    proves the person owns the mailbox, so the old guesses no longer count. Returns how many
    attempt records went."""
    return reset(username=normalise_email(user.email))


def move_logins(old_email: str, new_email: str) -> None:
    """Rename django-axes' records of `old_email` to `new_email` when an account's address changes:
    they name the account by its address, and the data export (data_export.logins_json) and the
    deletion (forget_logins) look them up by the current one. Without this, the sign-ins and
    failures under an earlier address were neither exported nor deleted. Failed attempts counted
    under both addresses from the same IP address and browser (one row each, unique) are added
    up, so that changing the address does not lift a lock either."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    old, new = normalise_email(old_email), normalise_email(new_email)
    if old == new:
        return
    for attempt in AccessAttempt.objects.filter(username=old):
        same_place = AccessAttempt.objects.filter(username=new, ip_address=attempt.ip_address,
                                                  user_agent=attempt.user_agent).first()
        if same_place is None:
            continue
        same_place.failures_since_start += attempt.failures_since_start
        same_place.attempt_time = max(same_place.attempt_time, attempt.attempt_time)
        same_place.save(update_fields=["failures_since_start", "attempt_time"])
        attempt.delete()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=old).update(username=new)


def forget_logins(user) -> None:
    """Delete django-axes' records of `user`'s logins (address, IP, browser) with the account;
    those of earlier addresses were renamed to the current one when it changed (move_logins)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = normalise_email(user.email)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
