"""Issue 17's wording slips on the screening pages, each rendered and checked: the empty-file
message said once, the accepted formats named alike everywhere and as the decoder reads them,
percentages the language's way in the PDF (56,9% in Indonesian), and the PDF's page numbers,
next steps (the guide's own) and model version. Sizes ("0.0 MB") and the phone layout are
checked in a real browser (test_screening_tools_e2e.py).
"""
from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape as html_escape
from PIL import Image

from cxr.inference import decode
from webapp.screening import outcomes, presentation, screen
from webapp.screening.models import Reading
from webapp.tests.support.screening_helpers import pdf_drawn_text, store_reading

pytestmark = pytest.mark.django_db


def upload(client, name, data, language="en", **extra):
    return client.post(reverse("screening:upload"), {"image": SimpleUploadedFile(name, data)},
                       HTTP_ACCEPT_LANGUAGE=language, **extra)


# --- the empty file --------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("scripted", [False, True])
def test_the_empty_file_box_says_it_once(patient_client, model_dir, media_root, language, scripted):
    extra = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if scripted else {}
    response = upload(patient_client, "empty.png", b"", language, **extra)
    assert response.status_code == 422
    html = response.json()["html"] if scripted else response.content.decode()
    box = re.search(r'<div class="alert alert-error refusal".*?</div>', html, re.S).group(0)
    text = [t.strip() for t in re.sub(r"<[^>]+>", "\n", box).splitlines() if t.strip()]
    with translation.override(language):
        title = str(translation.gettext("The file is empty"))
        engine_sentence = translation.gettext("The file is empty.")
    assert text[0] == title
    assert engine_sentence not in text  # the engine's sentence only restated the title
    assert len(text) == 2 and "0" in text[1]  # one sentence more: what to do
    assert sum("empty" in t.lower() or "kosong" in t.lower() for t in text) == 1


# --- the accepted formats ---------------------------------------------------------------------

def test_every_place_names_the_formats_the_decoder_reads(patient_client, model_dir, media_root):
    # The decoder's own list ("PNG, JPEG, TIFF, BMP or DICOM") is the truth.
    assert re.findall(r"[A-Z]{3,}", decode.SUPPORTED) == list(presentation.ACCEPTED_FORMATS)
    extensions = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif", "BMP": ".bmp", "DICOM": ".dcm"}
    accepted = screen.ACCEPT_ATTRIBUTE.split(",")
    for name in presentation.ACCEPTED_FORMATS:
        assert extensions[name] in accepted
    html = patient_client.get(reverse("screening:upload")).content.decode()
    named = "PNG, JPEG, TIFF, BMP or DICOM"
    assert f"{named}, up to 64 MB a file" in html  # the drop zone
    assert f"This file type is not supported: choose a {named} file." in html  # the script's message
    assert "PNG, JPEG or DICOM" not in html
    indonesian = patient_client.get(reverse("screening:upload"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "PNG, JPEG, TIFF, BMP atau DICOM" in indonesian


@pytest.mark.parametrize("fmt", ["TIFF", "BMP"])
def test_tiff_and_bmp_uploads_are_read(patient_client, model_dir, media_root, xray_paths, fmt):
    buffer = io.BytesIO()
    Image.open(xray_paths["normal"][0]).convert("L").save(buffer, format=fmt)
    response = upload(patient_client, f"scan.{fmt.lower()}", buffer.getvalue())
    assert response.status_code == 302, response.content[:300]
    assert Reading.objects.get().source_format == fmt.lower()


# --- percentages ---------------------------------------------------------------------------------

def test_percent_text_follows_the_language():
    with translation.override("en"):
        assert outcomes.percent_text(56.94) == "56.9%"
    with translation.override("id"):
        assert outcomes.percent_text(56.94) == "56,9%"


@pytest.mark.parametrize(("probability", "english", "indonesian"), [
    (0.99957, ">99.9%", ">99,9%"),   # would round to 100.0%: no reading is certain
    (0.99949, "99.9%", "99,9%"),
    (1.0, "100.0%", "100,0%"),       # exactly 1 is what it is
    (0.00041, "<0.1%", "<0,1%"),
    (0.0005, "0.1%", "0,1%"),
    (0.0, "0.0%", "0,0%"),
    (0.569, "56.9%", "56,9%"),
])
def test_probabilities_never_read_as_certain_when_they_are_not(probability, english, indonesian):
    with translation.override("en"):
        assert outcomes.probability_text(probability) == english
    with translation.override("id"):
        assert outcomes.probability_text(probability) == indonesian


def test_a_near_certain_reading_is_not_shown_as_100_percent(patient_client, patient, model_dir, media_root,
                                                              xray_paths):
    reading = store_reading(patient, model_dir, xray_paths["normal"][0])
    # What the bundled model gives some training-like X-rays: 0.99957 rounds to "100.0%".
    reading.probabilities = {"covid": 0.00041, "pneumonia": 0.00002, "normal": 0.99957}
    reading.save(update_fields=["probabilities"])
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    drawn = pdf_drawn_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    values = re.findall(r'class="probability-value">([^<]+)<', html)
    assert values == ["&gt;99.9%", "&lt;0.1%", "&lt;0.1%"]
    # reportlab draws an entity as its own string, right before the next one: ">" "99.9%".
    drawn = drawn.replace("> ", ">").replace("< ", "<")
    assert "Normal >99.9%" in drawn and "COVID-19 <0.1%" in drawn


@pytest.mark.parametrize("language", ["en", "id"])
def test_pages_and_pdf_write_percentages_the_languages_way(patient_client, patient, model_dir, media_root,
                                                          xray_paths, language):
    reading = store_reading(patient, model_dir, xray_paths["pneumonia"][0])
    with translation.override(language):
        expected = [outcomes.probability_text(p) for _label, p in reading.sorted_probabilities()]
    separator = "," if language == "id" else "."
    assert all(re.fullmatch(r"[<>]?\d{1,3}" + re.escape(separator) + r"\d%", e) for e in expected)
    html = patient_client.get(reverse("screening:detail", args=[reading.pk]),
                              HTTP_ACCEPT_LANGUAGE=language).content.decode()
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    drawn = pdf_drawn_text(pdf.content)
    for text in expected:
        assert f'class="probability-value">{html_escape(text)}<' in html
        assert text in drawn
    assert " %" not in drawn  # no space before the sign
    assert " %" not in re.sub(r"<[^>]+>", "", html)  # nor on the page (once "shown as 80 %")


# --- the PDF's page numbers, next steps and model version ----------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_pdf_has_page_numbers_next_steps_and_model_version(patient_client, patient, model_dir, media_root,
                                                           xray_paths, language):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0], note="Seen by the ward doctor.")
    pdf = patient_client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    drawn = pdf_drawn_text(pdf.content)
    pages = len(re.findall(rb"/Type /Page\b", pdf.content))
    assert pages >= 2  # the images, steps and limits do not fit one A4 page
    with translation.override(language):
        label = translation.gettext("Page %(page)s of %(pages)s")
        steps = outcomes.next_steps(reading.outcome)
        heading = translation.gettext("What to do next")
        emergency = str(outcomes.EMERGENCY)
    for page in range(1, pages + 1):
        assert label % {"page": page, "pages": pages} in drawn
    assert heading in drawn
    assert steps and len(steps) >= 3
    flat = " ".join(drawn.split())
    for step in steps:  # the guide's own words, each step (reportlab may wrap a long one)
        assert step.split()[0] in flat and " ".join(step.split()[-2:]) in flat
    assert reading.model_version in drawn
    # What a patient takes home says when not to wait: on the PDF and the printed report too.
    assert emergency.split()[0] in flat and " ".join(emergency.split()[-3:]) in flat
    report = patient_client.get(reverse("screening:report", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert emergency.replace("'", "&#x27;") in report.content.decode()
    from webapp.screening.engine import model_card

    assert model_card().name in drawn
    assert "File" not in drawn.split()  # the file's name (and its row) is gone


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_emergency_sentence_is_one_message_everywhere(client, language):
    # The reading, report and PDF carry outcomes.EMERGENCY; the landing page and every page's
    # footer translate their own copy: the same words, or a patient reads two instructions.
    with translation.override(language):
        emergency = str(outcomes.EMERGENCY)
    landing = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert landing.count(html_escape(emergency)) == 2  # the landing page's list and the footer


def test_next_steps_are_the_guides_own(client):
    """outcomes.next_steps reads the guide's outcome page, so both say the same steps."""
    for outcome in ("covid", "pneumonia", "normal", "uncertain"):
        with translation.override("en"):
            steps = outcomes.next_steps(outcome)
        page = client.get(reverse("guide:next_steps", args=[outcome]), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code in (200, 302)
        html = page.content.decode() if page.status_code == 200 else ""
        assert len(steps) >= 2
        for step in steps:
            assert "<" not in step and "&#" not in step
            if html:
                assert step.replace("'", "&#x27;") in " ".join(html.split())
    assert outcomes.next_steps("no-such-outcome") == []


def test_next_steps_stand_on_their_own():
    """The steps are copied onto the reading page, the printed report and the PDF, where no
    warning signs sit "above" and no isolation advice "below": each step names what it means."""
    for language, words in (("en", ("above", "below")), ("id", ("di atas", "di bawah"))):
        for outcome in ("covid", "pneumonia", "normal", "uncertain"):
            with translation.override(language):
                steps = outcomes.next_steps(outcome)
            assert steps, (language, outcome)
            for step in steps:
                assert not any(word in step for word in words), (language, outcome, step)
    with translation.override("en"):
        assert any("trouble breathing" in step for step in outcomes.next_steps("covid"))


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_doctors_reading_gives_the_steps_as_the_patients(doctor_client, doctor, patient_client, patient,
                                                           model_dir, media_root, xray_paths, language):
    """The guide's steps speak to the patient ("If you have fever..."): on a verified doctor's
    reading page, printed report and PDF they are headed as what the patient should do; a
    patient's own reading keeps "What to do next"."""
    with translation.override(language):
        for_doctor = translation.gettext("What the patient should do next")
        for_patient = translation.gettext("What to do next")
    assert for_doctor != for_patient
    for client, owner, heading, other in ((doctor_client, doctor, for_doctor, for_patient),
                                          (patient_client, patient, for_patient, for_doctor)):
        reading = store_reading(owner, model_dir, xray_paths["covid"][0])
        for view in ("screening:detail", "screening:report"):
            html = client.get(reverse(view, args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
            assert heading in html and other not in html, (view, owner.role)
        pdf = client.get(reverse("screening:report_pdf", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE=language)
        drawn = " ".join(pdf_drawn_text(pdf.content).split())
        assert heading in drawn and other not in drawn, owner.role


@pytest.mark.django_db
def test_the_probability_note_says_where_the_chances_held(patient_client, patient, model_dir, media_root, xray_paths):
    # The bundled card has no out-of-source fit: its chances held on its own collections (ECE
    # 0.02) and were far too high on others (readings at 90% or more right about 3 in 10).
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert "On X-rays from other hospitals they were far too high." in html
    assert "were right on the test images" not in html
    html = patient_client.get(reverse("screening:detail", args=[reading.pk]), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Pada foto rontgen dari rumah sakit lain, angkanya jauh terlalu tinggi." in html
