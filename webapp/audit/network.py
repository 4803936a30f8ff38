"""The address a request came from, also behind a reverse proxy.

Behind nginx every request's REMOTE_ADDR is the proxy's own address. Login throttling (axes)
and the audit log need the visitor's address instead, which the proxy appends to
X-Forwarded-For. That header is trusted only as far as the operator says: TRUSTED_PROXY_COUNT
proxies (settings, from the environment; 0 = no proxy) each append one address, so the visitor's
is the one that many places from the end. Anything a client wrote further left is ignored:
a client can put any address it likes in the header, but not past our own proxies.
"""
from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote  # not through all our proxies: only the direct peer is known
    return forwarded[-proxies]
