"""Plain helpers of the accounts tests (no fixtures: those are in the root conftest.py)."""


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")
