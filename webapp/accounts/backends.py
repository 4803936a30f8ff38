"""The authentication backend: Django's ModelBackend, noting on the request when a password was
right for a deactivated account, so the login form can say the account was deactivated instead
of "the password is not correct" (which sent a deactivated doctor retyping a right password).

The note comes from the backend's own single password check: a second check in the form made a
deactivated account's answer take twice as long as any other, which told anyone timing the
login which addresses had been deactivated (a security audit measured 605 ms against 309 ms,
and 310 ms against 11 ms once the login was locked).

An account whose email address is not confirmed yet (registration's link not opened) cannot
sign in either, and its signed-in sessions, if any, are not honoured; a right password for one
is noted the same way, so the form can say to open the link."""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

DEACTIVATED_ATTRIBUTE = "deactivated_account_password_right"
UNCONFIRMED_ATTRIBUTE = "unconfirmed_account_password_right"


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        # Django makes a new backend object for every authenticate() call: the request kept
        # here is this call's only.
        self._request = request
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user):
        # ModelBackend asks this only after the password was found right (and for the account of
        # a session, with no request).
        request = getattr(self, "_request", None)
        if not super().user_can_authenticate(user):
            if request is not None:
                setattr(request, DEACTIVATED_ATTRIBUTE, True)
            return False
        if getattr(user, "email_verified_at", True) is None:
            if request is not None:
                setattr(request, UNCONFIRMED_ATTRIBUTE, True)
            return False
        return True
