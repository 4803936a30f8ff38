"""The Content-Security-Policy in a real browser: enforced, and no page of ours breaks it.

Chromium reports every blocked script, style or image as a console error naming the
Content Security Policy. The pages a person uses, a reading page with its images included, must
produce none; and an injected inline script must really be blocked (the control).
"""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def csp_messages(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


def test_pages_load_without_csp_violations(page, live_server, make_reading, alice, xray_paths,
                                           test_output):
    reading = make_reading(alice, xray_paths["covid"][0])
    violations = csp_messages(page)
    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/accounts/login/")
    signed_in(page, live_server, alice)
    for path in ("/home/", "/screening/upload/", "/screening/readings/",
                 f"/screening/readings/{reading.pk}/", f"/screening/readings/{reading.pk}/report/",
                 "/hospitals/", "/accounts/profile/"):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
    page.screenshot(path=test_output / "security-csp-hospitals.png")
    assert violations == []


def test_an_injected_inline_script_is_blocked(page, live_server):
    violations = csp_messages(page)
    page.goto(live_server.url + "/")
    with pytest.raises(Exception, match="Content Security Policy|Refused"):
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected === undefined")
    assert violations, "Chromium reported no violation: is the policy sent at all?"
