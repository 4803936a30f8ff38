"""The compare page names references that differ only in spaces or punctuation ("RM 001234" and
"RM-001234"): one patient filed two ways was compared as two, and a doctor typing "RM001234"
was told that no reading had it. They are named, never merged (two patients may differ by a
hyphen)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from webapp.screening.patient_ids import reference_key
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def compare(client, reference: str | None = None) -> str:
    url = reverse("screening:compare") + (f"?patient={reference}" if reference is not None else "")
    return client.get(url).content.decode()


def box(html: str) -> str:
    start = html.index('data-testid="compare-similar"')
    return html[start:html.index("</div>", start)]


@pytest.mark.parametrize(("one", "other", "same"), [
    ("RM 001234", "rm-001234", True), ("RM.001234", "RM/001234", True), ("Ünal-7", "ÜNAL 7", True),
    ("RM-1234", "RM-001234", False), ("A-12", "A-13", False),
])
def test_the_key_sets_aside_case_spaces_and_punctuation_only(one, other, same):
    assert (reference_key(one) == reference_key(other)) is same


def test_the_look_alikes_are_named_beside_the_compared_readings(doctor_client, doctor, model_dir, media_root,
                                                                 xray_paths):
    dashed = store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-001234")
    spaced = [store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="RM 001234")
              for _ in range(2)]
    store_reading(doctor, model_dir, xray_paths["normal"][1], patient_reference="RM-1234")  # not alike
    html = compare(doctor_client, "RM-001234")
    # Compared: only the one typed (never merged) ...
    assert len(html.split('data-testid="compare-item"')[1:]) == 1
    assert reverse("screening:detail", args=[dashed.pk]) in html
    assert all(reverse("screening:detail", args=[r.pk]) not in html for r in spaced)
    # ... and the look-alike named with its count and a link to compare it.
    similar = box(html)
    assert "differ from this one only in spaces or punctuation" in similar
    assert re.search(r'\?patient=RM%20001234">RM 001234</a>\s*<span class="muted">2 readings</span>', similar)
    assert "RM-1234" not in similar


def test_a_reference_no_reading_has_points_to_its_look_alikes(doctor_client, doctor, model_dir, media_root,
                                                              xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-001234")
    html = compare(doctor_client, "rm001234")
    assert "No reading has this patient reference." in html
    assert re.search(r'\?patient=RM-001234">RM-001234</a>\s*<span class="muted">1 reading</span>', box(html))


def test_nothing_is_said_without_a_look_alike(doctor_client, doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="RM-7")
    store_reading(doctor, model_dir, xray_paths["normal"][1], patient_reference="rm-7")  # a case spelling
    store_reading(doctor, model_dir, xray_paths["normal"][2], patient_reference="---")
    for reference in ("RM-7", "--", "RM-8"):
        assert 'data-testid="compare-similar"' not in compare(doctor_client, reference)
    assert 'data-testid="compare-reference-similar"' not in compare(doctor_client)


def test_another_doctors_references_are_never_named(doctor_client, doctor, make_user, model_dir, media_root,
                                                    xray_paths):
    other = make_user("other-doctor@example.org", role="doctor")
    store_reading(other, model_dir, xray_paths["normal"][0], patient_reference="RM 55")
    store_reading(doctor, model_dir, xray_paths["normal"][1], patient_reference="RM-55")
    assert 'data-testid="compare-similar"' not in compare(doctor_client, "RM-55")
    assert "RM 55" not in compare(doctor_client)


def test_the_list_of_references_marks_each_look_alike(doctor_client, doctor, model_dir, media_root, xray_paths):
    store_reading(doctor, model_dir, xray_paths["normal"][0], patient_reference="AB 12")
    store_reading(doctor, model_dir, xray_paths["covid"][0], patient_reference="ab-12")
    store_reading(doctor, model_dir, xray_paths["normal"][1], patient_reference="CD-3")
    html = compare(doctor_client)
    assert re.search(r'\?patient=AB%2012">AB 12</a>.*?differs only in spaces or punctuation from ab-12', html, re.S)
    assert re.search(r'\?patient=ab-12">ab-12</a>.*?differs only in spaces or punctuation from AB 12', html, re.S)
    entry = html[html.index('?patient=CD-3"'):]
    assert "punctuation" not in entry[:entry.index("</li>")]
    # In Indonesian too.
    doctor_client.cookies["django_language"] = "id"
    assert "hanya berbeda pada spasi atau tanda baca dari ab-12" in compare(doctor_client)
    assert "tidak dibandingkan di sini" in compare(doctor_client, "AB 12")
