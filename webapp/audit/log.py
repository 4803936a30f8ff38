"""Writing the audit log: `record(request, action, reading)` from anywhere that handles one.

Views need not call it themselves: `webapp.audit.middleware.AuditMiddleware` records the
reading routes listed there after they answer.
"""
from __future__ import annotations

import ipaddress

from .models import Action, AuditEvent
from .network import client_ip


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def record(request, action: Action | str, reading) -> AuditEvent:
    """Log that the request's user did `action` to `reading` (a Reading or its id)."""
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    path = request.path
    return AuditEvent.objects.create(
        actor=user if authenticated else None,
        actor_email=getattr(user, "email", "") if authenticated else "",
        action=Action(action),
        reading_id=int(getattr(reading, "pk", reading)),
        via="api" if path.startswith("/api/") else "page",
        path=path[:255],
        ip_address=_valid_ip(client_ip(request)),
    )
