"""Writing the audit log: `record(request, action, reading)` from anywhere that handles one.

Views need not call it themselves: `webapp.audit.middleware.AuditMiddleware` records the
reading routes listed there after they answer. The admin site's reading pages call
`record_by_administrator` (webapp/screening/admin.py).
"""
from __future__ import annotations

import datetime
import ipaddress
import uuid

from django.db.models import F
from django.utils import timezone

from webapp.screening.api_problems import is_api_path

from .models import Action, AuditEvent
from .network import client_ip


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


# The range of AuditEvent.reading_id (a BigIntegerField) and of every primary key here.
_MAX_ID = 2**63 - 1


def _reading_id(reading) -> int | None:
    """The id to store, or None for one that names no reading.

    The id often comes from the URL, i.e. from whoever sent the request. One that is not an
    integer within 1..2**63-1 cannot be any reading's, and storing it would overflow the column
    (an OverflowError, i.e. a 500 for a request that deserved a 404); the event is still logged,
    without the id: the path column keeps what was asked for.
    """
    value = getattr(reading, "pk", reading)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 1 <= number <= _MAX_ID else None


def record(request, action: Action | str, reading) -> AuditEvent:
    """Log that the request's user did `action` to `reading` (a Reading or its id)."""
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    path = request.path
    return AuditEvent.objects.create(
        actor=user if authenticated else None,
        actor_email=getattr(user, "email", "") if authenticated else "",
        action=Action(action),
        reading_id=_reading_id(reading),
        via="api" if is_api_path(request) else "page",
        path=path[:255],
        ip_address=_valid_ip(client_ip(request)),
    )


# How long one `denied` row counts an account's further 404s (record_denied): long enough that a
# script walking reading ids writes a handful of rows an hour, short enough that the log still
# says when a probe went on.
DENIED_WINDOW = datetime.timedelta(minutes=10)


def record_denied(request, reading) -> AuditEvent:
    """Log that the request's (signed-in) user asked for `reading` (an id), which is not theirs
    or does not exist. The first such request writes its row at once, so probing is seen; the
    next ones from the same account, address and way in (page or API) within DENIED_WINDOW of
    that row count on it (times, last_at, last_reading_id) instead of adding one row each: a
    script walking ids, or a client retrying a deleted reading, wrote rows without end."""
    user = request.user
    now = timezone.now()
    ip_address = _valid_ip(client_ip(request))
    via = "api" if is_api_path(request) else "page"
    open_row = (AuditEvent.objects.filter(actor=user, action=Action.DENIED, via=via, ip_address=ip_address,
                                          at__gt=now - DENIED_WINDOW)
                .order_by("-at", "-id").values_list("pk", flat=True).first())
    if open_row is not None:
        # One UPDATE: concurrent requests each add theirs.
        AuditEvent.objects.filter(pk=open_row).update(times=F("times") + 1, last_at=now,
                                                      last_reading_id=_reading_id(reading))
        return AuditEvent.objects.get(pk=open_row)
    return record(request, Action.DENIED, reading)


def record_by_administrator(request, action: Action | str, readings) -> list[AuditEvent]:
    """Log that the administrator in `request` did `action` to each of `readings` in the admin
    site: the administrator is the actor, and each event keeps the reading's owner, whose trail
    must show who else looked at or deleted their readings."""
    user = request.user
    path = request.path[:255]
    ip_address = _valid_ip(client_ip(request))
    return AuditEvent.objects.bulk_create([
        AuditEvent(actor=user, actor_email=user.email, action=Action(action),
                   reading_id=_reading_id(reading), reading_owner_id=reading.owner_id, via="admin",
                   path=path, ip_address=ip_address)
        for reading in readings
    ])


def forget_actor(user) -> str:
    """Strip `user`'s email and IP addresses from their events before the account goes; returns
    the random pseudonym that replaces the email (the same on all of them, tied to nobody)."""
    pseudonym = f"deleted-account-{uuid.uuid4().hex[:12]}"
    AuditEvent.objects.filter(actor=user).update(actor=None, actor_email=pseudonym, ip_address=None)
    return pseudonym


def record_account_event(request, action: Action | str, forget=None, via: str = "page") -> AuditEvent:
    """Log an event about the account itself (no reading): a data export, or, with
    `forget=user`, the account's deletion, logged without personal data (no email, no IP
    address; the pseudonym of `forget_actor`) just before the account is deleted. `via`: "admin"
    for what the admin site did (an administrator deleting the account)."""
    user = getattr(request, "user", None)
    path = request.path[:255]
    if forget is not None:
        pseudonym = forget_actor(forget)
        return AuditEvent.objects.create(action=Action(action), actor=None, actor_email=pseudonym,
                                         reading_id=None, via=via, path=path, ip_address=None)
    authenticated = bool(user is not None and user.is_authenticated)
    return AuditEvent.objects.create(
        actor=user if authenticated else None,
        actor_email=getattr(user, "email", "") if authenticated else "",
        action=Action(action), reading_id=None, via=via, path=path,
        ip_address=_valid_ip(client_ip(request)),
    )
