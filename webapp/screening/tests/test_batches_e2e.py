"""The batch page in a real browser against a live server and the real model, at phone (390 px)
and desktop (1280 px) widths, in English and Indonesian: each file's state, the page following
the queue by itself (batch.js polls the JSON status) until every file is done or refused, and
links to the readings. Screenshots land in test-output/batch-*.png for a person to look at.
"""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening import batches
from webapp.screening.models import Reading
from webapp.tests.support.browser_helpers import (
    BROWSER_LOCALES,
    record_page_errors,
    signed_in_context,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
WORDS = {"en": ("2 of 3 files were read.", "Waiting for its turn", "Done", "Refused"),
         "id": ("2 dari 3 berkas telah dibaca.", "Menunggu giliran", "Selesai", "Ditolak")}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_batch_page_follows_the_queue(size, language, chromium_browser, live_server, test_output,
                                          model_dir, media_root, patient, xray_paths, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with translation.override(language):  # as the upload's request would be
        batch, _ = batches.create_batch(patient, [
            SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
            SimpleUploadedFile("notes.txt", b"not an image " * 40),
            SimpleUploadedFile("b.png", xray_paths["normal"][0].read_bytes())])
    with signed_in_context(chromium_browser, live_server.url, patient,
                           viewport=SIZES[size], locale=BROWSER_LOCALES[language]) as context:
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = record_page_errors(page)
        page.goto(f"{live_server.url}/screening/batches/{batch.pk}/")
        summary, waiting, done, refused = WORDS[language]
        items = page.get_by_test_id("batch-item")
        expect(items).to_have_count(3)
        expect(items.nth(0)).to_contain_text(waiting)
        expect(page.locator("[data-batch-reload]")).to_be_hidden()  # JavaScript follows the queue
        expect(page.get_by_test_id("results-caveat")).to_be_visible()  # before any result arrives
        page.screenshot(path=test_output / f"batch-queued-{size}-{language}.png", full_page=True)

        batches.run_queued(batch)  # the worker's jobs; the open page is not reloaded
        expect(page.get_by_test_id("batch-summary")).to_have_text(summary)
        expect(items.nth(0)).to_contain_text(done)
        expect(items.nth(1)).to_contain_text(refused)
        expect(items.nth(1).locator('[data-code="unsupported_format"]')).to_have_count(1)
        readings = list(Reading.objects.order_by("id"))
        link = items.nth(2).get_by_role("link")
        expect(link).to_have_attribute("href", f"/screening/readings/{readings[1].pk}/")
        assert page.get_by_test_id("results-caveat").bounding_box()["y"] < items.nth(0).bounding_box()["y"]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"the page scrolls sideways ({width} px)"
        page.screenshot(path=test_output / f"batch-finished-{size}-{language}.png", full_page=True)
        link.click()
        expect(page).to_have_url(f"{live_server.url}/screening/readings/{readings[1].pk}/")
        assert errors == []


def test_polling_leaves_unchanged_rows_and_the_focus_alone(chromium_browser, live_server, model_dir, media_root,
                                                          patient, xray_paths, settings, tmp_path, monkeypatch):
    """The rows sit in a live region: rewriting them all at each poll read them out again and
    took the keyboard focus off a reading's link. Only a row that changed is replaced now."""
    from webapp.screening import views

    monkeypatch.setattr(views, "BATCH_REFRESH_SECONDS", 1)
    settings.DATA_DIR = tmp_path
    batch, _ = batches.create_batch(patient, [
        SimpleUploadedFile("a.png", xray_paths["covid"][0].read_bytes()),
        SimpleUploadedFile("b.png", xray_paths["normal"][0].read_bytes())])
    first, second = batch.items.all()
    batches.read_item(first.pk)
    with signed_in_context(chromium_browser, live_server.url, patient) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/batches/{batch.pk}/")
        items = page.get_by_test_id("batch-item")
        link = items.nth(0).get_by_role("link")
        link.focus()
        # A property, not an attribute: the page compares attributes, a property survives only
        # on the very same node.
        page.evaluate("document.querySelector('[data-testid=batch-item]').seenBefore = true")
        with page.expect_response(lambda r: "/status/" in r.url):
            pass
        with page.expect_response(lambda r: "/status/" in r.url):  # two polls, nothing changed
            pass
        batches.read_item(second.pk)
        expect(items.nth(1).get_by_role("link")).to_have_count(1)  # the changed row was replaced
        assert page.evaluate("document.querySelector('[data-testid=batch-item]').seenBefore === true")
        assert page.evaluate("document.activeElement.closest('[data-testid=batch-item]') !== null")
        expect(link).to_be_focused()
