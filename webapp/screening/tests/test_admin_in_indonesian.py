"""The admin site in Indonesian: app names, the reading's name and column headers, filters,
actions and titles were English, and every page said "Django administration"."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def text(answer) -> str:
    """The page's words, tags out, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode()))


def test_the_index_names_the_product_and_the_apps(superuser_client_in):
    page = text(superuser_client_in("id").get(reverse("admin:index")))
    assert "Administrasi Skrining CXR" in page and "Admin Skrining CXR" in page
    assert "Administrasi Django" not in page and "Django administration" not in page
    for app in ("Akun", "Rumah sakit", "Skrining", "Hasil baca"):
        assert app in page
    for english in ("Accounts", "Hospitals", "Screening", "Readings"):
        assert english not in page
    english = text(superuser_client_in("en").get(reverse("admin:index")))
    assert "CXR Screening administration" in english and "Django administration" not in english


def test_the_reading_list_and_page_are_indonesian(make_reading, alice, xray_paths,
                                                  superuser_client_in):
    reading = make_reading(alice, xray_paths["normal"][0])
    client = superuser_client_in("id")
    listing = text(client.get(reverse("admin:screening_reading_changelist")))
    for header in ("Pemilik", "Diunggah pada", "Hasil", "Versi model"):
        assert f" {header} " in listing, header
    for title in ("hasil", "keyakinan rendah", "versi model", "format sumber"):
        assert f"Berdasarkan {title}" in listing, title
    assert "Hapus hasil baca yang dipilih" in listing
    for english in ("Owner", "Uploaded at", "Created at", "outcome", "low confidence", "Model version",
                    "model version", "source format", "readings"):
        assert english not in listing, english

    page = text(client.get(reverse("admin:screening_reading_change", args=[reading.pk])))
    assert "Lihat hasil baca" in page
    for label in ("Pemilik:", "Diunggah pada:", "Label:", "Keyakinan rendah:", "Berkas foto rontgen:",
                  "Tanggal foto rontgen diambil:", "Probabilitas:", "Peringatan:"):
        assert label in page, label
    assert "Ubah reading" not in page and "Model version" not in page
