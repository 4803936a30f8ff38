"""The printable report loads screening.css alone, which had no `.muted` rule: its notes (what
the probabilities are calibrated on, the prediction set's level, the guide's lead-in) printed in
the body's colour, as loud as the result. They are the app's muted grey now, on screen and in
print, as on the reading page."""
from __future__ import annotations

import pytest
from django.urls import reverse

from webapp.tests.support.browser_helpers import signed_in_context
from webapp.tests.support.screening_helpers import store_reading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("media", ["screen", "print"])
def test_the_reports_notes_are_muted(chromium_browser, live_server, test_output, patient, model_dir,
                                     media_root, xray_paths, media):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    with signed_in_context(chromium_browser, live_server.url, patient,
                           viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.emulate_media(media=media)
        page.goto(live_server.url + reverse("screening:report", args=[reading.pk]))
        note = page.get_by_test_id("calibration-note")
        colour = note.evaluate("node => getComputedStyle(node).color")
        body = page.evaluate("getComputedStyle(document.body).color")
        assert colour == "rgb(85, 100, 114)" and colour != body, (colour, body)
        page.screenshot(path=test_output / f"report-notes-muted-{media}.png", full_page=True)
