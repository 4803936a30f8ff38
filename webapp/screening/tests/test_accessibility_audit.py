"""Findings of the WCAG 2.2 AA audit (axe-core and by hand, commit 5bd44c2) that the server's
pages answer, in English and Indonesian: the PDF link says the printable report is the
accessible version, the site check's instructions describe their fields, and the batch page
without JavaScript no longer reloads itself. The viewer's pan buttons and the upload's focus are
browser tests (test_accessibility_audit_e2e.py)."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from webapp.screening import batches
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db

PDF_NOTE = {
    "en": "The PDF has no structure for screen readers: the printable report is the accessible version.",
    "id": "PDF ini tidak memiliki struktur untuk pembaca layar: laporan siap cetak adalah versi yang aksesibel.",
}
PAN = {
    "en": ["Move left", "Move up", "Move right", "Move down"],
    "id": ["Geser ke kiri", "Geser ke atas", "Geser ke kanan", "Geser ke bawah"],
}


def tag(html: str, pattern: str) -> str:
    """The one opening tag matching `pattern` (a regex inside the tag)."""
    found = re.findall(rf"<[^>]*{pattern}[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pdf_link_points_to_the_accessible_report(patient_client, patient, model_dir, media_root,
                                                      xray_paths, language):
    """The PDF has no structure tree and no alt text (report_pdf.py): the page says the HTML
    report is the one a screen reader can use, and the PDF link is described by that."""
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    patient_client.cookies["django_language"] = language
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    note = tag(html, r'id="pdf-note"')
    assert html.split(note, 1)[1].startswith(PDF_NOTE[language])
    assert 'aria-describedby="pdf-note"' in tag(html, r'data-testid="pdf-link"')


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_viewer_has_buttons_to_move_a_zoomed_xray(patient_client, patient, model_dir, media_root,
                                                      xray_paths, language):
    """Moving a zoomed X-ray took dragging or the arrow keys on the focused frame (WCAG 2.5.7):
    four named buttons do it too, disabled until the X-ray is zoomed in."""
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    patient_client.cookies["django_language"] = language
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    for direction, name in zip(("left", "up", "right", "down"), PAN[language], strict=True):
        button = tag(html, rf'data-pan="{direction}"')
        assert f'aria-label="{name}"' in button and "disabled" in button


def test_the_site_checks_instructions_describe_their_fields(make_user, screening_settings):
    admin = make_user(email="admin@example.org", role="doctor", is_staff=True)
    client = Client()
    client.force_login(admin)
    html = client.get(reverse("screening:site_validation")).content.decode()
    for field, words in (("images", "PNG, JPEG, TIFF, BMP or DICOM; up to"),
                         ("labels", "One line per X-ray: the file name and its known class.")):
        described_by = re.search(r'aria-describedby="([^"]+)"', tag(html, rf'id="id_{field}"'))
        assert described_by, field
        for ref in described_by.group(1).split():
            help_tag = tag(html, rf'id="{ref}"')
            assert html.split(help_tag, 1)[1].strip().startswith(words)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_batch_page_never_reloads_itself(patient_client, patient, screening_settings, xray_paths,
                                             settings, tmp_path, language):
    """Without JavaScript the batch page reloaded itself every 3 s (a meta refresh in
    <noscript>), which restarts a screen reader at the top each time (WCAG 2.2.1, F41): it now
    has only its reload link; batch.js keeps asking for the progress every few seconds."""
    settings.DATA_DIR = tmp_path / "data"
    files = [SimpleUploadedFile(name, xray_paths["normal"][i].read_bytes()) for i, name in enumerate(("a.png", "b.png"))]
    batch, _ = batches.create_batch(patient, files)
    patient_client.cookies["django_language"] = language
    html = patient_client.get(reverse("screening:batch", args=[batch.pk])).content.decode()
    assert 'data-state="queued"' in html  # not finished: the old page reloaded itself now
    assert "http-equiv" not in html and "refresh" not in html.split("</head>")[0].lower()
    reload = {"en": "Reload to see the progress", "id": "Muat ulang untuk melihat kemajuannya"}[language]
    assert f'<a href="{reverse("screening:batch", args=[batch.pk])}">{reload}</a>' in html
    assert 'data-refresh-seconds="3"' in html  # batch.js's live updates
