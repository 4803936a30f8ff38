"""A PACS reading's page in a real browser on a 360 px phone, in Indonesian: it names the
patient and the examination, and the long Study Instance UID wraps instead of widening the page.
(The database rows only: no PACS is needed to show a reading.) Screenshot in
test-output/pacs-reading-phone-id.png."""
from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from webapp.pacs.models import PacsStudy
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UID = "1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345678901"


def test_a_pacs_reading_names_its_study_and_fits_a_phone(chromium_browser, live_server, model_dir,
                                                        media_root, make_user, xray_paths,
                                                        test_output):
    site = make_user(email="pacs@hospital.example", role="doctor")
    reading = store_reading(site, model_dir, xray_paths["normal"][0], patient_reference="RM-0042")
    PacsStudy.objects.create(study_instance_uid=UID, state="written", reading=reading,
                             patient_id="RM-0042", accession_number="ACC-77",
                             study_date=f"{date(2026, 11, 30):%Y%m%d}")
    client = Client()
    client.force_login(site)
    context = chromium_browser.new_context(viewport={"width": 360, "height": 780}, locale="id-ID")
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
         "value": client.cookies[settings.SESSION_COOKIE_NAME].value},
        {"name": settings.LANGUAGE_COOKIE_NAME, "url": live_server.url, "value": "id"}])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/screening/readings/{reading.pk}/")
        line = page.get_by_test_id("pacs-study")
        assert "Dari PACS: pemeriksaan tanggal 30 Nov. 2026, nomor aksesi ACC-77." in \
            line.inner_text()
        assert UID in line.inner_text()
        assert page.get_by_test_id("reading-reference").inner_text() == "RM-0042"
        assert page.evaluate("document.documentElement.scrollWidth <= "
                             "document.documentElement.clientWidth")
        page.screenshot(path=test_output / "pacs-reading-phone-id.png")
    finally:
        context.close()
