"""The site check page keeps its per-case list, as `cxr validate-site` writes cases.csv.

The command line writes every case to cases.csv; the page's report had no per-case list, so a
site could not find which films were refused or read wrongly. It now stores one small row per
case (the file's name, its known class and what the model said; no image) and offers it as the
same CSV, to staff only. Real X-rays, the stub model, the real database.
"""
from __future__ import annotations

import csv
import io

from django.test import Client
from django.urls import reverse

from webapp.screening.models import SiteValidation
from webapp.tests.support.site_validation_helpers import labelled, post_site_check

URL = "/screening/site-validation/"


def _colour_photo() -> bytes:
    """A real PNG of a strongly coloured picture: the guard refuses it as not a chest X-ray."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8).repeat(8, axis=0).repeat(8, axis=1)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out.getvalue()


def _rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read UTF-8 with the mark
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_report_offers_every_case_as_a_csv_to_staff_only(admin_client, patient_client, doctor_client,
                                                             xray_paths):
    files = labelled(xray_paths) + [("holiday.png", _colour_photo(), "normal")]  # refused: not an X-ray
    files[0] = ("=HYPERLINK(1).png", files[0][1], files[0][2])  # a name a spreadsheet would run
    labels = "file,label\n" + "".join(f"{name},{label}\n" for name, _body, label in files)
    location = post_site_check(admin_client, files, labels)["Location"]
    validation = SiteValidation.objects.get()
    stored = validation.report["per_case"]
    assert stored["classes"] == ["covid", "pneumonia", "normal"] and len(stored["cases"]) == len(files)
    assert len(json_size := str(stored)) < 400 * len(files), json_size  # small: no image, a few numbers

    html = admin_client.get(location).content.decode()
    assert 'data-testid="cases-csv"' in html and "?download=cases" in html
    response = admin_client.get(location + "?download=cases")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="site-check-{validation.pk}-cases.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = _rows(response)
    assert list(rows[0]) == ["file", "true_label", "reading", "label_right", "top_class", "top_class_right",
                             "p_covid", "p_pneumonia", "p_normal", "prediction_set", "set_holds_true_label",
                             "warnings", "reason", "reason_text"]
    assert [r["file"] for r in rows] == ["'=HYPERLINK(1).png"] + [name for name, _b, _l in files[1:]]
    assert [r["true_label"] for r in rows] == [label for _n, _b, label in files]
    # The same counts as the report: labels given and right, the most likely class right, refusals.
    labelled_rows = [r for r in rows if r["reading"] in ("covid", "pneumonia", "normal")]
    assert len(labelled_rows) == validation.labelled and sum(r["label_right"] == "yes" for r in labelled_rows) == validation.right
    refused = [r for r in rows if r["reading"] == "refused"]
    assert len(refused) == validation.refused and all(r["p_covid"] == "" and r["reason"] for r in refused)
    read = [r for r in rows if r["reading"] != "refused"]
    top = validation.report["top_class_accuracy"]
    assert sum(r["top_class_right"] == "yes" for r in read) == round(top["value"] * top["n"])
    for r in read:
        chances = [float(r[f"p_{k}"]) for k in ("covid", "pneumonia", "normal")]
        assert abs(sum(chances) - 1) < 1e-3 and r["top_class"] == ("covid", "pneumonia", "normal")[chances.index(max(chances))]
        assert (r["reading"] == "uncertain") == (r["reason"] != "" and r["label_right"] == "")
    assert rows[-1]["reading"] == "refused" and rows[-1]["reason"].startswith("not_cxr")
    assert rows[-1]["reason_text"].startswith("This does not look like a frontal chest X-ray")
    # The reason's sentence in the reader's language.
    admin_client.cookies["django_language"] = "id"
    rows_id = _rows(admin_client.get(location + "?download=cases"))
    assert [r["reason"] for r in rows_id] == [r["reason"] for r in rows]
    assert all(a["reason_text"] != b["reason_text"] for a, b in zip(rows, rows_id, strict=True) if a["reason"])
    # Staff only, like the page.
    for client in (patient_client, doctor_client):
        assert client.get(location + "?download=cases").status_code == 403
    assert Client().get(location + "?download=cases").status_code == 302


def test_a_report_stored_before_it_kept_its_cases_offers_no_list(admin_client):
    validation = SiteValidation.objects.create(run_by=admin_client.admin, cases=0, report={},
                                               verdict_code="too_few_cases")
    location = reverse("screening:site_validation_detail", args=[validation.pk])
    assert 'data-testid="cases-csv"' not in admin_client.get(location).content.decode()
    assert admin_client.get(location + "?download=cases").status_code == 404


def test_the_form_says_the_file_names_are_kept(admin_client):
    html = admin_client.get(URL).content.decode().replace("&#x27;", "'")
    assert "a list of the cases (each file's name, its known class and what the model said)" in html
    assert "use file names that do not identify a patient" in html
