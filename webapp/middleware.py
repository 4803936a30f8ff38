"""Security headers on every response: what the browser may load, send and show.

Django's SecurityMiddleware already sets HSTS (in production), X-Content-Type-Options and
Referrer-Policy from settings, and XFrameOptionsMiddleware sets X-Frame-Options. This adds the
Content-Security-Policy and Permissions-Policy, and sets the others too when a response lacks
them, so a page served some other way still carries them.

The policy allows no inline scripts or styles ('unsafe-inline' is never used): every script and
stylesheet is a file under /static/, which keeps injected markup inert. Map tiles come from the
server of the HOSPITAL_MAP_TILES setting (OpenStreetMap's by default, allowed here; another one
is allowed on the hospital finder's page by webapp/hospitals/views.page_csp); nothing else is
loaded from outside.
"""
from __future__ import annotations

from django.conf import settings

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    # OpenStreetMap serves tiles from tile.openstreetmap.org (the URL it asks for today) and
    # from a.-c.tile.openstreetmap.org (older URLs); a wildcard does not match the bare name.
    "img-src 'self' data: https://tile.openstreetmap.org https://*.tile.openstreetmap.org",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Denying features the app never uses limits what an injected script could do. Geolocation
# stays allowed for this site only: the hospital finder asks for the visitor's position.
PERMISSIONS_POLICY = ", ".join([
    "geolocation=(self)",
    *(f"{feature}=()" for feature in ("camera", "microphone", "payment", "usb", "interest-cohort")),
])


class SecurityHeadersMiddleware:
    """Adds CSP, Permissions-Policy and the basic headers to every response that lacks them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
        self.referrer_policy = getattr(settings, "SECURE_REFERRER_POLICY", None) or "same-origin"

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Referrer-Policy", self.referrer_policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Static files leave before XFrameOptionsMiddleware runs; CSP frame-ancestors covers
        # current browsers, this header older ones.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
