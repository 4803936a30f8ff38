"""On the compare page each card had two links to its reading, the picture's ("The X-ray with the
heat map laid over it", the same on every card) and the headline's ("COVID-19 likely", the same
on every card of that outcome): a screen reader's list of links was N copies of one name, and
Tab stopped twice per card (a screen-reader audit). The picture is now a link for the mouse
only, and the headline's link says which X-ray it opens."""
from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def test_each_card_has_one_named_link_to_its_reading(doctor_client, doctor, model_dir, media_root, xray_paths):
    readings = [store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="MRN-7",
                              taken_on=datetime.date(2026, 11, day)) for day in (2, 9)]
    html = doctor_client.get(reverse("screening:compare") + "?patient=MRN-7").content.decode()
    for reading in readings:
        href = reverse("screening:detail", args=[reading.pk])
        links = re.findall(rf'<a href="{re.escape(href)}"([^>]*)>(.*?)</a>', html, re.S)
        reachable = [(attrs, text) for attrs, text in links if 'tabindex="-1"' not in attrs]
        assert len(reachable) == 1, links
        for attrs, _text in links:
            if 'tabindex="-1"' in attrs:
                assert 'aria-hidden="true"' in attrs
        text = " ".join(re.sub(r"<[^>]+>", " ", reachable[0][1]).split())
        assert f"X-ray taken Nov. {reading.taken_on.day}, 2026" in text, text
