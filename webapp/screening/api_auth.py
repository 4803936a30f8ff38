"""Who is calling the API: `Authorization: Token <key>`, or, for GET and HEAD only, the browser's
session. Session cookies are never accepted for POST/DELETE, which is why the API needs no CSRF
token. Every request made with a key counts against that key's rate limit and its account's
(ApiToken.count_request; 429, Retry-After); a session's requests count against the account's
own session limit (rate_limits.API_SESSION).
"""
from __future__ import annotations

from django.urls import reverse
from ninja.security.base import AuthBase

from . import rate_limits
from .api_models import ApiToken, TokenState
from .api_problems import ApiProblem

SAFE_METHODS = ("GET", "HEAD")
CHALLENGE = {"WWW-Authenticate": "Token"}
NOT_AUTHENTICATED = ("Send 'Authorization: Token <key>' with a valid API key "
                     "(GET also accepts a logged-in session).")


def token_from_header(request) -> str | None:
    """The key of an `Authorization: Token <key>` header; "" for a malformed one; None if absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, key = header.strip().partition(" ")
    return key.strip() if scheme.lower() == "token" else ""


class TokenAuth(AuthBase):
    """django-ninja authentication: returns the user (also set as request.user, which the
    audit log reads) or raises an ApiProblem with the precise reason."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "Authorization"
    openapi_description = ("'Token <key>'; create keys on the API key page. GET also accepts a "
                           "logged-in browser session.")

    def __call__(self, request):
        key = token_from_header(request)
        if key is None:
            if request.method in SAFE_METHODS and request.user.is_authenticated:
                # Counted per account as a key's requests are: the session reads the same data.
                allowed, retry_after = rate_limits.count(request.user, rate_limits.API_SESSION)
                if not allowed:
                    raise ApiProblem(429, "rate_limited",
                                     f"A signed-in session may make {rate_limits.limit_for(rate_limits.API_SESSION)} "
                                     f"API requests a minute; try again in {retry_after} s.",
                                     retry_after=retry_after)
                return request.user
            raise ApiProblem(401, "not_authenticated", NOT_AUTHENTICATED, CHALLENGE)
        state, token = ApiToken.authenticate(key)
        if state == TokenState.EXPIRED:
            keys_page = request.build_absolute_uri(reverse("screening:api_token"))
            raise ApiProblem(401, "token_expired", "This API key has expired; create a new one "
                             f"on the API key page, {keys_page}", CHALLENGE)
        if state != TokenState.VALID:
            raise ApiProblem(401, "not_authenticated", NOT_AUTHENTICATED, CHALLENGE)
        allowed, retry_after = token.count_request()
        if not allowed:
            raise ApiProblem(429, "rate_limited",
                             f"This key may make {token.rate_limit} requests a minute; "
                             f"try again in {retry_after} s.", retry_after=retry_after)
        request.user = token.user
        request.api_token = token
        return token.user
