"""A signed-in browser session ends after SESSION_IDLE_MINUTES (30 by default) without a
request; each request moves the end on. Before, a session lasted Django's 14 days whatever was
done, so a shared computer on a ward stayed signed in to someone's X-rays for two weeks.

Time is moved the way the session machinery sees it: the stored session's expiry date (and
when it was last moved on) put back by the minutes that pass."""
from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from webapp.accounts.idle import REFRESHED_AT
from webapp.accounts.tests.support import logged_in_user_id, move_session_back
from webapp.tests.test_deploy_settings import manage, production_env

pytestmark = pytest.mark.django_db


def log_in(client, user, password):
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    assert response.status_code == 302 and logged_in_user_id(client) == str(user.pk)


def stored_expiry(client) -> datetime.datetime:
    return Session.objects.get(pk=client.session.session_key).expire_date


def pass_minutes(client, minutes: int) -> None:
    """`minutes` go by with no request from this browser."""
    move_session_back(client.session.session_key, minutes)


def test_a_session_lasts_the_idle_minutes_not_two_weeks(client, patient, user_password):
    assert settings.SESSION_IDLE_MINUTES == 30
    log_in(client, patient, user_password)
    left = stored_expiry(client) - timezone.now()
    assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 30 * 60


def test_each_request_moves_the_end_on_and_idleness_ends_it(client, patient, user_password):
    log_in(client, patient, user_password)
    pass_minutes(client, 29)
    assert client.get(reverse("home")).status_code == 200  # still signed in, and moved on
    left = stored_expiry(client) - timezone.now()
    assert left > datetime.timedelta(minutes=29)
    pass_minutes(client, 29)  # 58 minutes after signing in, 29 after the last request
    assert client.get(reverse("home")).status_code == 200
    pass_minutes(client, 31)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert logged_in_user_id(client) is None


def test_requests_within_a_minute_write_the_session_once(client, patient, user_password):
    """Moving the end on is a database write: at most one a minute, not one per request."""
    log_in(client, patient, user_password)
    before = client.session[REFRESHED_AT]
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=20))
    assert client.get(reverse("home")).status_code == 200
    assert client.session[REFRESHED_AT] == before
    assert stored_expiry(client) - timezone.now() < datetime.timedelta(minutes=21)


def test_the_login_page_says_when_a_session_ends(client):
    html = client.get(reverse("login")).content.decode()
    assert "signed out after 30 minutes without activity" in html


@pytest.mark.parametrize("value", ["two", "0", "-5"])
def test_the_idle_minutes_must_be_a_positive_whole_number(tmp_path, value):
    result = manage(production_env(tmp_path, SESSION_IDLE_MINUTES=value), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"SESSION_IDLE_MINUTES={value!r}" in result.stderr


# The page's warning before the session ends (static/js/session.js, WCAG 2.2.1: a time limit is
# announced, and one simple action extends it) asks the server how long is left, without moving
# the end on (another tab may have), and moves it on when the person says so.

def test_asking_how_long_is_left_does_not_move_the_end_on(client, patient, user_password):
    log_in(client, patient, user_password)
    pass_minutes(client, 20)
    answer = client.get(reverse("session_time"))
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    left = answer.json()
    assert left["signed_in"] is True and 9 * 60 <= left["seconds_left"] <= 10 * 60
    assert stored_expiry(client) - timezone.now() < datetime.timedelta(minutes=11)


def test_staying_signed_in_moves_the_end_on(client, patient, user_password):
    log_in(client, patient, user_password)
    pass_minutes(client, 29)
    answer = client.post(reverse("session_time"))
    assert answer.json()["seconds_left"] == 30 * 60
    assert stored_expiry(client) - timezone.now() > datetime.timedelta(minutes=29)


def test_a_session_that_ended_says_so(client, patient, user_password):
    log_in(client, patient, user_password)
    pass_minutes(client, 31)
    assert client.get(reverse("session_time")).json() == {"signed_in": False, "seconds_left": 0}
    # Nor does asking sign anybody in again.
    assert client.post(reverse("session_time")).json() == {"signed_in": False, "seconds_left": 0}
    assert logged_in_user_id(client) is None
