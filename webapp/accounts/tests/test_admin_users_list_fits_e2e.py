"""The admin's Users list at 1280 px, in English and Indonesian: its columns after "Licence
number" (workplace, active, staff, date joined) sat behind a horizontal scroll, so an operator
checking a doctor's verification scrolled sideways on every row. A deactivated doctor's role cell,
the longest, is there too. Screenshots land in test-output/admin-users-list-*.png."""
from __future__ import annotations

import pytest

from webapp.tests.support.browser_helpers import admin_list_fits, signed_in_context_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_users_list_fits_beside_the_menu_and_filters(chromium_browser, live_server, test_output,
                                                         make_user, language):
    admin = make_user(email="admin@example.org", role="patient", is_staff=True, is_superuser=True)
    make_user(email="dr.sari.wijayakusuma@rsud-tarakan-jakarta.example.org",
              full_name="Dr. Sari Wijayakusuma, Sp.Rad.", role="doctor",
              licence_number="STR-3171-2026-00012345", workplace="RSUD Tarakan, Jakarta Pusat")
    # The longest role cell: a deactivated doctor says so beside the verification.
    make_user(email="dr.bambang.setiawan@rsup-persahabatan.example.org", full_name="Dr. Bambang Setiawan",
              role="doctor", licence_number="STR-3175-2019-00067890", is_active=False)
    with signed_in_context_in(chromium_browser, live_server.url, admin, language,
                              viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/accounts/user/")
        page.screenshot(path=test_output / f"admin-users-list-{language}.png", full_page=True)
        assert page.locator("#result_list").is_visible()
        assert admin_list_fits(page)
