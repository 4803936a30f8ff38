"""Site validation in the web app: administrators only, real X-rays and a labels CSV in, a stored
report and verdict out; bad input refused with every problem named and nothing stored.

The served model here is the stub (tests/support/tiny_model.py: real serving stack, meaningless
readings), so the verdict is about the counts, never about accuracy; the browser test
(test_site_validation_e2e.py) runs the real model.
"""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from webapp.screening.models import SiteValidation
from webapp.tests.support.site_validation_helpers import csv_of, labelled, post_site_check

URL = "/screening/site-validation/"


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_patients_and_doctors_are_not_allowed(patient_client, doctor_client, screening_settings, xray_paths):
    for client in (patient_client, doctor_client):
        assert client.get(URL).status_code == 403
        files = labelled(xray_paths, 1)
        assert post_site_check(client, files, csv_of(files)).status_code == 403
    assert SiteValidation.objects.count() == 0


def test_only_staff_open_a_stored_report(admin_client, patient_client, doctor_client, xray_paths):
    files = labelled(xray_paths, 1)
    location = post_site_check(admin_client, files, csv_of(files))["Location"]
    assert admin_client.get(location).status_code == 200
    assert patient_client.get(location).status_code == 403
    assert doctor_client.get(location).status_code == 403
    assert Client().get(location).status_code == 302  # anonymous: to the login page


def test_staff_see_the_form_with_the_format_and_limits(admin_client):
    html = admin_client.get(URL).content.decode()
    assert 'name="images"' in html and "multiple" in html and 'name="labels"' in html
    assert "file,label" in html and "covid, pneumonia, normal" in html
    assert "up to 99 files, 64 MB each" in html
    assert "are not stored" in html


def test_a_run_is_stored_with_its_report_and_no_image(admin_client, xray_paths, media_root):
    files = labelled(xray_paths, 2)
    response = post_site_check(admin_client, files, csv_of(files))
    validation = SiteValidation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:site_validation_detail", args=[validation.pk])
    assert validation.run_by == admin_client.admin and validation.model_version == "test-0"
    assert validation.cases == len(files) == validation.read + validation.refused
    assert validation.right <= validation.labelled <= validation.read
    assert validation.verdict_code == "too_few_cases"  # 6 X-rays judge nothing
    assert validation.verdict_text.startswith("Not enough cases to judge")
    assert validation.report["by_truth"] == {"covid": 2, "pneumonia": 2, "normal": 2}
    assert set(validation.report["per_class"]) == {"covid", "pneumonia", "normal"}
    # Every read X-ray is in one bin of the calibration plot, and nothing else is.
    assert sum(b["right"]["n"] for b in validation.report["calibration"]) == validation.read
    assert not media_root.exists() or not any(media_root.rglob("*"))  # no image kept

    html = admin_client.get(response["Location"]).content.decode()
    assert 'data-verdict="too_few_cases"' in html and "Too few cases to judge" in html
    assert "Not enough cases to judge: " in html and "at least 30 are needed" in html
    assert "6 X-rays:" in html and "Sensitivity" in html and "Specificity" in html
    assert "A clinician and an RT-PCR test decide" in html
    # Six cases promise no tight interval cheaply: planned at the worst accuracy they still allow.
    assert validation.report["cases_needed"]["+/-0.05"] > 300
    assert "least favourable accuracy that the 95% interval of these cases still allows" in html
    # Refusals of the readable X-rays, judged against the share the guard refuses of new hospitals.
    check = validation.report["refusal_check"]
    assert f'data-refusals="{check["code"]}"' in html and "Refused as not a chest X-ray" in html
    if validation.refused:
        assert f'the guard refused {validation.refused} of {len(files)} X-rays' in html
    else:  # said plainly, not "Refusals inconclusive: the guard refused 0 of 6"
        assert f"No X-ray was refused as not a chest X-ray (0 of {len(files)};" in html
        assert "Refusals inconclusive" not in html
    # Listed on the form page and, for everyone, on How it works.
    assert "test-0" in admin_client.get(URL).content.decode()
    public = Client().get(reverse("guide:how_it_works")).content.decode()
    assert 'id="site-validations"' in public and 'data-verdict="too_few_cases"' in public
    assert "Too few cases to judge" in public and admin_client.admin.email not in public


def test_the_report_is_said_in_indonesian(admin_client, xray_paths):
    files = labelled(xray_paths, 1)
    location = post_site_check(admin_client, files, csv_of(files))["Location"]
    admin_client.cookies["django_language"] = "id"
    html = admin_client.get(location).content.decode()
    assert "Kasus terlalu sedikit untuk dinilai" in html
    assert "Kasus belum cukup untuk menilai: " in html
    assert "akurasi paling tidak menguntungkan" in html
    assert "Not enough cases" not in html
    assert "penyaring" in html and "Ditolak sebagai bukan foto rontgen dada" in html
    assert "the guard refused" not in html and "Refused as not a chest X-ray" not in html
    # The interval widths as percentages, like every other number on the page (were "±0.10"),
    # widest first on every database (PostgreSQL's jsonb reorders the stored keys).
    assert re.search(r"±10%: \d+; ±5%: \d+; ±3%: \d+\.", html) and "±0.10" not in html


def _stored_with_calibration(admin):
    from cxr.inference.site_check import proportion

    bins = [{"low": 0.5, "high": 0.6, "stated": 0.55, "right": proportion(3, 10)},
            {"low": 0.9, "high": 1.0, "stated": 0.97, "right": proportion(36, 40)}]
    return SiteValidation.objects.create(
        run_by=admin, model_version="test-0", cases=50, read=50, labelled=50, right=39,
        report={"calibration": bins, "labelled_accuracy": proportion(39, 50)}, verdict_code="inconclusive")


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_report_draws_its_calibration_plot_in_the_readers_language(admin_client, language):
    import re

    validation = _stored_with_calibration(admin_client.admin)
    admin_client.cookies["django_language"] = language
    html = admin_client.get(reverse("screening:site_validation_detail", args=[validation.pk])).content.decode()
    start = html.index('data-testid="calibration-plot"')
    plot = html[start:html.index("</svg>", start)]
    # One dot per bin, where the numbers put it: stated 55% across, 30% right up (frame 56-344 x,
    # 236-12 y), with the 95% interval as a whisker; coordinates never localised ("226,4").
    assert plot.count("<circle") == 2
    assert 'cx="214.4" cy="168.8"' in plot and 'cx="335.4" cy="34.4"' in plot
    assert re.search(r'="\d+,\d', plot) is None
    table = html[html.index('id="site-calibration-table"'):]
    if language == "en":
        assert "Chance given to the most likely class" in plot and "Right here" in plot
        assert "50% – 60%" in table and "30.0%" in table and "<td>10</td>" in table
    else:
        assert "Peluang yang diberikan pada kelas paling mungkin" in plot and "Chance given" not in plot
        assert "50% – 60%" in table and "30,0%" in table


def test_a_report_from_before_the_calibration_plot_shows_none(admin_client):
    validation = SiteValidation.objects.create(run_by=admin_client.admin, cases=0, report={},
                                               verdict_code="too_few_cases")
    response = admin_client.get(reverse("screening:site_validation_detail", args=[validation.pk]))
    assert response.status_code == 200 and "calibration-plot" not in response.content.decode()


def test_the_verdict_sentence_follows_the_stored_numbers(db):
    from django.utils import translation

    from webapp.screening.site_validation import verdict_text

    validation = SiteValidation(verdict_code="consistent_with_card", verdict_text="(English)", report={
        "verdict": {"code": "consistent_with_card",
                    "params": {"n": 240, "value": 0.9375, "lo": 0.899, "hi": 0.962, "bar": 0.9}}})
    with translation.override("en"):
        english = verdict_text(validation)
    assert english == (
        "Consistent with the model card at this site: labelled readings right 93.8% (95% CI 89.9% – "
        "96.2%, 240 readings), at or above its 90% target. It remains a screening aid: a clinician "
        "and an RT-PCR test decide. Check again with new cases when the X-ray equipment, its export "
        "settings or the patients change.")
    with translation.override("id"):
        text = verdict_text(validation)
    assert "93,8%" in text and "dokter dan tes RT-PCR yang menentukan" in text


def _problem_page(response, status: int, *phrases):
    assert response.status_code == status
    html = response.content.decode()
    assert 'data-testid="validation-error"' in html and html.count("Nothing was stored.") == 1
    for phrase in phrases:
        assert phrase in html, phrase
    assert SiteValidation.objects.count() == 0


def test_missing_labels_file(admin_client, xray_paths):
    _problem_page(post_site_check(admin_client, labelled(xray_paths, 1), None), 400, "Choose the labels file")


def test_labels_without_the_columns(admin_client, xray_paths):
    files = labelled(xray_paths, 1)
    _problem_page(post_site_check(admin_client, files, "name;diagnosis\na.png;covid\n"), 400,
                  "needs the columns file and label", "name, diagnosis")


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_an_empty_labels_file_is_called_empty(admin_client, xray_paths, text):
    """It was told it "needs the columns file and label in its first line; it has: —" (an audit)."""
    _problem_page(post_site_check(admin_client, labelled(xray_paths, 1), text), 400, "The labels file is empty.")


def test_an_unknown_label_names_its_line(admin_client, xray_paths):
    files = labelled(xray_paths, 1)
    text = csv_of(files).replace(",pneumonia", ",tuberculosis")
    _problem_page(post_site_check(admin_client, files, text), 400, "Line 4: the label “tuberculosis”",
                  "covid, pneumonia, normal")


def test_labels_the_csv_module_cannot_read_are_refused_with_the_line(admin_client, xray_paths):
    """A stray quote swallows the rest of the file into one field; past the csv module's field
    limit that raised csv.Error, a server error, instead of a refusal naming the line."""
    files = labelled(xray_paths, 1)
    text = csv_of(files) + '"unclosed.png,normal\n' + "x.png,normal\n" * 12_000
    _problem_page(post_site_check(admin_client, files, text), 400, "is not a CSV file this page can read",
                  "field larger than field limit")


def test_listed_but_not_uploaded_and_uploaded_but_not_listed(admin_client, xray_paths):
    files = labelled(xray_paths, 1)
    text = csv_of(files[1:]) + "absent.png,normal\n"
    _problem_page(post_site_check(admin_client, files, text), 400,
                  "absent.png is listed in the labels file but was not uploaded.",
                  f"{files[0][0]} was uploaded but is not listed in the labels file.")


def test_names_that_differ_only_in_case_are_said_once_as_such(admin_client, xray_paths):
    """A labels file from Windows or a camera export lists COV-000.PNG for the uploaded cov-000.png:
    it was told both that COV-000.PNG was not uploaded and that cov-000.png was not listed (an
    audit). One problem now names the two spellings; names are matched exactly, as
    `cxr validate-site` matches them on a server's disk."""
    files = labelled(xray_paths, 1)
    first = files[0][0]
    text = csv_of(files).replace(f"{first},", f"{first.upper()},")
    response = post_site_check(admin_client, files, text)
    _problem_page(response, 400, f"The labels file lists {first.upper()} and the uploaded file is "
                                 f"called {first}: the names differ only in upper and lower case.")
    html = response.content.decode()
    assert "is listed in the labels file but was not uploaded" not in html
    assert "was uploaded but is not listed" not in html


def test_a_file_that_is_not_an_image(admin_client, xray_paths):
    files = labelled(xray_paths, 1) + [("notes.png", b"these are my notes, not an X-ray", "normal")]
    _problem_page(post_site_check(admin_client, files, csv_of(files)), 422, "notes.png cannot be read as an X-ray",
                  "Remove these files")


def test_too_large_files(admin_client, xray_paths, settings):
    files = labelled(xray_paths, 1)
    settings.MAX_UPLOAD_BYTES = 1000
    _problem_page(post_site_check(admin_client, files, csv_of(files)), 400,
                  f"{files[0][0]} is", "the limit per file is 1 KB")


def test_too_many_files(admin_client, xray_paths, settings):
    files = labelled(xray_paths, 2)  # 6 X-rays and the labels file
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5  # 4 X-rays per run
    _problem_page(post_site_check(admin_client, files, csv_of(files)), 400, "At most 4 X-ray files can be checked at once")
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 7  # 6: Django accepts the request, the page its files
    assert post_site_check(admin_client, files, csv_of(files)).status_code == 302


def test_the_history_says_what_each_reading_could_be(patient, patient_client, make_reading, xray_paths):
    reading = make_reading(patient, xray_paths["covid"][0])
    reading.prediction_set = ["covid", "pneumonia"]
    reading.save()
    make_reading(patient, xray_paths["normal"][0])  # an older model's reading: no set, no line
    html = patient_client.get(reverse("screening:history")).content.decode()
    assert html.count('data-testid="reading-set"') == 1
    first, second = sorted(["COVID-19", "Pneumonia (not COVID-19)"],
                           key=lambda name: -reading.probabilities[{"COVID-19": "covid"}.get(name, "pneumonia")])
    assert f"Could be: {first} or {second}" in html
    assert "Ruled out" not in html
    patient_client.cookies["django_language"] = "id"
    html = patient_client.get(reverse("screening:history")).content.decode()
    assert "Bisa jadi: " in html and " atau " in html


def test_the_refusal_sentence_follows_the_stored_numbers(db):
    from django.utils import translation

    from webapp.screening.site_validation import refusal_text

    validation = SiteValidation(verdict_code="inconclusive", report={"refusal_check": {
        "code": "above_budget",
        "params": {"k": 12, "n": 200, "value": 0.06, "lo": 0.0346, "hi": 0.1019, "budget": 0.02}}})
    with translation.override("en"):
        english = refusal_text(validation)
    assert english.startswith(
        "Too many refused: the guard refused 12 of 200 X-rays as not a chest X-ray (6.0%, 95% CI "
        "3.5% – 10.2%), above the target of at most 2% for hospitals it never saw.")
    with translation.override("id"):
        text = refusal_text(validation)
    assert text.startswith("Terlalu banyak yang ditolak: penyaring menolak 12 dari 200") and "6,0%" in text
    # A report stored before refusals were judged says nothing about them.
    assert refusal_text(SiteValidation(verdict_code="inconclusive", report={})) == ""


def test_a_run_through_the_site_calibration_says_so(admin_client, xray_paths, settings, tmp_path):
    from webapp.screening import engine
    from webapp.tests.support.screening_helpers import write_site_calibration

    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(engine.configured_model_dir(), tmp_path / "site.json",
                                                               0.5, cases=64, set_threshold=0.9, site=""))
    engine._loaded.clear()
    try:
        files = labelled(xray_paths)
        location = post_site_check(admin_client, files, csv_of(files))["Location"]
        validation = SiteValidation.objects.get()
        assert validation.report["site_calibration"] == {"cases": 64, "fitted_at": "2026-12-01", "site": ""}
        html = admin_client.get(location).content.decode().replace("&#x27;", "'")
        assert "read through this site's own calibration (fitted on 64 labelled X-rays, Dec. 1, 2026)" in html
    finally:
        engine._loaded.clear()


def test_the_interval_widths_are_listed_widest_first_whatever_the_stored_order():
    from webapp.screening.site_validation import cases_needed

    stored = {"cases_needed": {"+/-0.03": 1068, "+/-0.05": 385, "+/-0.10": 97}}  # as jsonb gives it back
    assert [n for _width, n in cases_needed(stored)] == [97, 385, 1068]


def test_the_card_column_shows_the_cards_figures_and_the_refusal_target(admin_client, xray_paths, settings, tmp_path):
    """The page compares with the card's figures as `cxr validate-site` does (one reader,
    cxr.inference.site_check.card_figures), and calls the 2% a target, beside what was measured."""
    import json
    import shutil

    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures, site_report
    from webapp.screening import engine

    model = tmp_path / "model"
    shutil.copytree(engine.configured_model_dir(), model)
    card = json.loads((model / "model_card.json").read_text())
    card["metrics"] = {"source": {"accuracy": {"value": 0.375, "ci95": [0.356, 0.394]}}}
    card["verifier"] = {"sources_left_out": {
        "cohen": {"test_xrays": {"value": 0.0, "ci95": [0.0, 0.299], "n": 9}},
        "raddb": {"test_xrays": {"value": 0.009009, "ci95": [0.004, 0.0195], "n": 666}}}}
    (model / "model_card.json").write_text(json.dumps(card))
    settings.CXR_MODEL_DIR = str(model)
    engine._loaded.clear()
    try:
        files = labelled(xray_paths)
        location = post_site_check(admin_client, files, csv_of(files))["Location"]
        report = SiteValidation.objects.get().report
        expected = site_report([], card["classes"], **card_figures(ModelCard.from_dict(card)))["card"]
        assert report["card"] == expected and report["card"]["unseen_accuracy"] == 0.375
        html = admin_client.get(location).content.decode().replace("&#x27;", "'")
        assert "target: at most 2%" in html
        assert "measured: 0.0% – 0.9% of the test X-rays of 2 collections, each left out of the chest X-ray check's fit" in html
        assert "37.5%" in html  # the source split's accuracy beside the site's most likely class
        admin_client.cookies["django_language"] = "id"
        html = admin_client.get(location).content.decode()
        assert "target: paling banyak 2%" in html and "terukur: 0,0% – 0,9%" in html
    finally:
        engine._loaded.clear()
