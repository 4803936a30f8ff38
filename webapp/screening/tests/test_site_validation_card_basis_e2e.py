"""The site check of the bundled model in a real browser: real X-rays, the real model and database.

The bundled card has no out-of-source fit. The form says what the verdict compares with (the
card's accuracy on new patients of its training collections), labels may be spelt COVID-19 or
Viral Pneumonia, the report's verdict and refusal sentence are said in English and Indonesian
with what to do next, the table names the figure the verdict compares with, and the per-case
list downloads as CSV.

Screenshots land in test-output/site-validation-card-basis-*.png for a person to look at.
"""
from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from webapp.tests.support.browser_helpers import log_in_on_redirect, record_page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "harbour-copper-meadow-19"
PER_CLASS = 14
SPELLINGS = {"covid": "COVID-19", "pneumonia": "Viral Pneumonia", "normal": "Normal"}


def test_admin_checks_the_bundled_model_and_reads_the_verdict_in_both_languages(
        page, live_server, test_output, model_dir, media_root, cxr_dir, cxr_manifest, tmp_path):
    from webapp.accounts.models import User
    from webapp.screening.models import SiteValidation

    admin = User.objects.create_user(email="admin@example.org", password=PASSWORD, full_name="Dewi Admin",
                                     role="doctor", is_staff=True)
    errors = record_page_errors(page)
    base = live_server.url
    chosen = {}
    for row in sorted(cxr_manifest, key=lambda r: r["file"]):
        if len(chosen.setdefault(row["label"], [])) < PER_CLASS:
            chosen[row["label"]].append(cxr_dir / row["file"])
    images = [p for label in sorted(chosen) for p in chosen[label]]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{p.name},{SPELLINGS[label]}\n"
                                               for label in sorted(chosen) for p in chosen[label]))

    log_in_on_redirect(page, base, "/screening/site-validation/", admin.email, PASSWORD)
    note = page.get_by_test_id("card-basis")
    expect(note).to_contain_text("The verdict compares this site's most-likely-class accuracy")
    expect(note).to_contain_text("new patients of the collections it was trained on (its patient split)")
    expect(note).not_to_contain_text("at most inconclusive")
    page.screenshot(path=test_output / "site-validation-card-basis-form.png", full_page=True)

    page.set_input_files("#id_images", [str(p) for p in images])
    page.set_input_files("#id_labels", str(labels))
    page.get_by_role("button", name="Run the check").click()
    page.wait_for_url(f"{base}/screening/site-validation/*/", timeout=120_000)
    validation = SiteValidation.objects.get()
    report = validation.report
    assert report["by_truth"] == {label: PER_CLASS for label in ("covid", "pneumonia", "normal")}
    params = report["verdict"]["params"]
    assert params["measure"] == "top_class_accuracy" and params["split"] == "patient"
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", validation.verdict_code)
    expect(verdict).to_contain_text("the model card measured on new patients of the collections it was trained on")
    patient = page.get_by_test_id("card-split-patient")
    expect(patient).to_contain_text("94.9%")
    expect(patient).to_contain_text("The verdict compares with this figure.")
    expect(page.get_by_test_id("card-split-source")).to_contain_text("37.5%")
    expect(page.get_by_test_id("refusal-check")).not_to_contain_text("Refusals inconclusive")
    page.screenshot(path=test_output / "site-validation-card-basis-report.png", full_page=True)
    page.locator(".site-report .table").first.screenshot(path=test_output / "site-validation-card-basis-table.png")

    # Every case as CSV, one line per uploaded X-ray.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download every case (CSV)").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["file"] for r in rows] == [p.name for p in images]
    assert sum(r["top_class_right"] == "yes" for r in rows) == round(
        report["top_class_accuracy"]["value"] * report["top_class_accuracy"]["n"])

    # In Indonesian: no English sentence left, the same numbers.
    page.context.add_cookies([{"name": "django_language", "value": "id", "url": base}])
    page.reload()
    expect(verdict).to_contain_text("pasien baru dari koleksi tempat model dilatih (pembagian per pasiennya)")
    expect(verdict).not_to_contain_text("most likely class")
    expect(page.get_by_test_id("refusal-check")).not_to_contain_text("guard")
    if validation.verdict_code == "inconclusive":
        needed = params["cases_to_decide"]
        expect(verdict).to_contain_text(f"sekitar {needed} foto rontgen yang dibaca secara keseluruhan")
    expect(patient).to_contain_text("94,9%")
    expect(patient).to_contain_text("Kesimpulan dibandingkan dengan angka ini.")
    page.screenshot(path=test_output / "site-validation-card-basis-report-id.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=test_output / "site-validation-card-basis-report-phone-id.png", full_page=True)
    page.goto(f"{base}/screening/site-validation/")
    expect(page.get_by_test_id("card-basis")).to_contain_text("Kesimpulannya membandingkan akurasi kelas paling mungkin")
    page.screenshot(path=test_output / "site-validation-card-basis-form-phone-id.png", full_page=True)
    assert errors == []
