"""Plain helpers of the accounts tests (no fixtures: those are in the root conftest.py)."""


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def move_session_back(key: str, minutes: float) -> None:
    """`minutes` go by for the stored session `key` with no request: when it was last moved on
    (webapp/accounts/idle.py) and its expiry date, both put back."""
    import datetime

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from webapp.accounts.idle import REFRESHED_AT

    store = SessionStore(key)
    store[REFRESHED_AT] -= int(minutes * 60)
    store.save()
    expiry = Session.objects.get(pk=key).expire_date
    Session.objects.filter(pk=key).update(expire_date=expiry - datetime.timedelta(minutes=minutes))
