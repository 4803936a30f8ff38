"""A stored picture that is there but damaged (a bad restore, a disk error) cut "Download my
data" after its first bytes, the answer's 200 already sent: report_pdf.build raised PIL's
UnidentifiedImageError, which only a lost file (FileNotFoundError) was caught for, and the
reading's PDF and overlay answered 500 (a security audit). The archive now completes, naming
what it could not add, and the PDF says the picture is missing; the overlay answers 404."""
from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.urls import reverse

from webapp.screening import storage
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("damaged", ["heatmap_path", "original_path"])
def test_the_export_completes_around_a_damaged_picture(patient, patient_client, model_dir, media_root,
                                                       xray_paths, damaged):
    readings = [store_reading(patient, model_dir, path) for path in xray_paths["normal"][:2]]
    storage.absolute_path(getattr(readings[0], damaged)).write_bytes(os.urandom(100))

    archive = b"".join(patient_client.get(reverse("export_data")).streaming_content)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert {"readings.json", "README.txt", f"readings/{readings[1].pk}/report.pdf"} <= names
        assert f"readings/{readings[0].pk}/report.pdf" in names  # made without the damaged picture

    pdf = patient_client.get(reverse("screening:report_pdf", args=[readings[0].pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert patient_client.get(reverse("screening:overlay", args=[readings[0].pk])).status_code == 404
