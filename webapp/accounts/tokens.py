"""The signed, time-limited tokens of the links that confirm an email address: a new account's,
and a new address asked for on the profile (`email_change_token`).

Django's password-reset token machinery with its own salt (a reset token is no confirmation
token, nor the reverse) and its own state: the token is made of the account, its address and
whether it is confirmed, so it works once, and not for an address changed since. It expires as
reset links do, after settings.PASSWORD_RESET_TIMEOUT (3 days by default).
"""
from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "webapp.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        confirmed = "" if user.email_verified_at is None else user.email_verified_at.isoformat()
        return f"{user.pk}{user.email}{confirmed}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


class EmailChangeTokenGenerator(PasswordResetTokenGenerator):
    """The link mailed to a new address asked for on the profile: made of the account, its
    current address and the waiting one, so it works once (the address changes) and a later
    request for another address voids it."""

    key_salt = "webapp.accounts.tokens.EmailChangeTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.pending_email}{timestamp}"


email_change_token = EmailChangeTokenGenerator()
