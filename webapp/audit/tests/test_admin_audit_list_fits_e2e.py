"""In a real browser at 1280 px: the admin's audit events list shows each IP address whole (it
was cut to "127.0") and an action on at most two lines (it wrapped to four), in English and
Indonesian. Screenshots land in test-output/audit-admin-list-*.png for a person to look at."""
from __future__ import annotations

import pytest

from webapp.audit.models import Action, AuditEvent
from webapp.tests.support.browser_helpers import admin_list_fits, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The longest of each column: an email near the common maximum, the longest action, and an
# IPv6 address as long as they come once written short.
EVENTS = [
    ("radiology.department.head@regional-hospital.example.org", Action.DENIED, 123456, "page",
     "2001:db8:85a3:1234:5678:8a2e:370:7334"),
    ("admin@example.org", Action.ADMIN_DELETE_ACCOUNT, None, "admin", "127.0.0.1"),
    ("", Action.CLEANUP_DELETE, 98765, "command", None),
    ("doctor@example.org", Action.DOWNLOAD_REPORT, 42, "api", "203.0.113.254"),
]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_audit_events_fit_1280_px(chromium_browser, live_server, test_output, make_user,
                                      language):
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True, is_superuser=True)
    for email, action, reading_id, via, ip in EVENTS:
        AuditEvent.objects.create(actor_email=email, action=action, reading_id=reading_id, via=via,
                                  ip_address=ip, path="/screening/readings/123456/")
    with signed_in_context_in(chromium_browser, live_server.url, admin, language,
                              viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/audit/auditevent/")
        page.screenshot(path=test_output / f"audit-admin-list-{language}.png", full_page=True)
        assert admin_list_fits(page)
        clipped = page.evaluate("[...document.querySelectorAll('#result_list th, #result_list td')]"
                                ".filter(c => c.scrollWidth > c.clientWidth).map(c => c.innerText)")
        assert clipped == []
        table = page.locator("#result_list").inner_text()
        for _email, _action, _reading, _via, ip in EVENTS:
            assert ip is None or ip in table, ip
        # Lines of each action's text: the distinct tops of its line boxes.
        lines = page.evaluate("[...document.querySelectorAll('#result_list td.field-action')]"
                              ".map(c => { const r = document.createRange(); r.selectNodeContents(c);"
                              " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })")
        assert len(lines) == len(EVENTS) and max(lines) <= 2, lines
