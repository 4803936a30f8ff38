"""readings.json holds the day each X-ray was taken (a DICOM header's date), as the reading page and
readings.csv show it: the person's own data, left out of "Download my data" before."""
import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_readings_json_has_the_day_the_xray_was_taken(bob_client, bob, make_reading, xray_paths):
    dicom_day = make_reading(bob, xray_paths["normal"][0])
    dicom_day.taken_on = datetime.date(2025, 3, 14)
    dicom_day.save()
    make_reading(bob, xray_paths["covid"][0])  # a PNG: no date in the file
    response = bob_client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    readings = json.loads(archive.read("readings.json"))
    assert [r["taken_on"] for r in readings] == ["2025-03-14", None]
