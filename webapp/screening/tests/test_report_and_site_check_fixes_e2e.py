"""In a real browser, English and Indonesian, on a 390 px phone and a desktop: the pages an audit
of the guide and the reports found wanting, as they read now. The reading page and the printable
report say what the probabilities are calibrated on, and an uncertain reading's reason does not
say "Uncertain" again under the headline; the upload page says what the card measured on
children instead of asking for an adult's X-ray; the stored site checks give the figure each
verdict rests on. Screenshots land in test-output/audit-fixes-*.png for a person to look at."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cxr.inference.notices import Notice
from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
    signed_in_context_in,
)
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 900}}
WORDS = {
    "en": {"uncertain": "Uncertain:", "children": "Children's X-rays are read less reliably",
           "calibration": "On X-rays from other hospitals they were far too high", "basis": "Most likely class right"},
    "id": {"uncertain": "Tidak pasti:", "children": "Foto rontgen anak-anak dibaca kurang andal",
           "calibration": "Pada foto rontgen dari rumah sakit lain, angkanya jauh terlalu tinggi",
           "basis": "Kelas paling mungkin benar"},
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pages_read_as_the_fixes_mean(chromium_browser, live_server, test_output, make_user, model_dir,
                                         media_root, xray_paths, language, size):
    from webapp.screening.tests.test_site_validations_table_basis import _stored

    words = WORDS[language]
    staff = make_user(role="doctor", is_staff=True)
    reason = Notice("uncertain", percent=53.3, label="normal", threshold_percent=60)
    reading = store_reading(staff, model_dir, xray_paths["normal"][0], label=None, low_confidence=True,
                            reason=str(reason), reason_code=reason.code, reason_params=reason.params)
    _stored(staff)
    with signed_in_context_in(chromium_browser, live_server.url, staff, language,
                              viewport=SIZES[size]) as context:
        page = context.new_page()
        errors = record_page_errors(page)
        for name, path in (("reading", f"/screening/readings/{reading.pk}/"),
                           ("report", f"/screening/readings/{reading.pk}/report/"),
                           ("upload", "/screening/upload/"),
                           ("site-checks", "/screening/site-validation/")):
            page.goto(f"{live_server.url}{path}")
            if name in ("reading", "report"):
                expect(page.locator(".uncertain-reason")).not_to_contain_text(words["uncertain"])
                expect(page.get_by_test_id("calibration-note")).to_contain_text(words["calibration"])
            if name == "upload":
                expect(page.locator(".upload-help")).to_contain_text(words["children"])
            if name == "site-checks":
                expect(page.get_by_test_id("verdict-basis")).to_contain_text(words["basis"])
                page.get_by_test_id("site-validations").scroll_into_view_if_needed()
            assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"], name
            page.screenshot(path=test_output / f"audit-fixes-{name}-{language}-{size}.png", full_page=True)
        page.goto(f"{live_server.url}/how-it-works/")
        table = page.get_by_test_id("site-validations")
        expect(table).to_contain_text(words["basis"])
        table.screenshot(path=test_output / f"audit-fixes-how-it-works-checks-{language}-{size}.png")
        assert not errors, errors


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_site_checks_verdict_is_not_squeezed_on_a_phone(chromium_browser, live_server, test_output,
                                                         make_user, model_dir, language):
    """On a 390 px phone the verdict column of the stored site checks took what the other columns
    left: "Not validated for use at this site" and the figure it rests on wrapped a word per line.
    The verdict keeps a readable width and the table scrolls sideways instead."""
    from webapp.screening.tests.test_site_validations_table_basis import _stored

    staff = make_user(role="doctor", is_staff=True)
    _stored(staff)
    with signed_in_context(chromium_browser, live_server.url, staff, viewport=SIZES["390"],
                           locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/how-it-works/")
        cell = page.locator(".verdict-cell").first
        cell.scroll_into_view_if_needed()
        assert cell.evaluate("node => node.getBoundingClientRect().width") >= 14 * 16 - 1
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["390"]["width"]
        page.screenshot(path=test_output / f"site-checks-verdict-phone-{language}.png")
