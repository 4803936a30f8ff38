"""The site check page reads labels as `cxr validate-site` does.

`cxr validate-site` accepts the spellings `cxr data import` maps class folders by (COVID-19,
Viral Pneumonia, healthy...: cxr.labels.class_label); the page refused "COVID-19". Real X-rays,
the stub model, the real database.
"""
from __future__ import annotations

from webapp.screening.models import SiteValidation
from webapp.tests.support.site_validation_helpers import post_site_check

URL = "/screening/site-validation/"
SPELLINGS = {"covid": "COVID-19", "pneumonia": "Viral Pneumonia", "normal": "No Finding"}


def test_labels_may_be_spelt_as_data_import_spells_class_folders(admin_client, xray_paths):
    files = [(p.name, p.read_bytes(), label) for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    labels = "file,label\n" + "".join(f"{name},{SPELLINGS[label]}\n" for name, _body, label in files)
    response = post_site_check(admin_client, files, labels)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SiteValidation.objects.get().report["by_truth"] == {"covid": 2, "pneumonia": 2, "normal": 2}
    # Not a spelling of any class: refused, saying such spellings exist.
    labels = labels.replace("No Finding", "COVID-19 pneumonia", 1)
    response = post_site_check(admin_client, files, labels)
    assert response.status_code == 400
    html = response.content.decode()
    assert "the label “COVID-19 pneumonia”" in html and "such as COVID-19 or Viral Pneumonia" in html
    admin_client.cookies["django_language"] = "id"
    html = admin_client.get(URL).content.decode()
    assert "Label juga boleh ditulis seperti dalam koleksi foto rontgen publik: COVID-19" in html
