"""Which BodyPartExamined values are the chest: modalities write "CHEST PA", "THORAX PA" or the
Indonesian "TORAX" as often as "CHEST", and those studies were skipped as "body part CHEST PA,
not the chest". `pacs_ingest --inline` now says why a study was skipped."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from pydicom.dataset import Dataset

from webapp.pacs import ingest
from webapp.pacs.tests import support


def frontal(body_part: str) -> Dataset:
    ds = Dataset()
    ds.Modality, ds.ViewPosition, ds.BodyPartExamined = "DX", "PA", body_part
    return ds


@pytest.mark.parametrize("body_part", [
    "CHEST", "THORAX", "LUNG", "CHEST_TO_PELVIS", "CHEST PA", "THORAX PA", "TORAX", "Torax AP",
    "THORAKS", "TORAKS", "DADA", "PARU", "LUNGS", "CHEST-PA", "PA CHEST", "  chest  ", ""])
def test_a_body_part_naming_the_chest_is_read(body_part):
    assert ingest._skip_reason(frontal(body_part)) is None


@pytest.mark.parametrize("body_part", [
    "HAND", "ABDOMEN", "PELVIS", "SKULL", "KNEE", "TSPINE", "THORACIC SPINE", "THORAX SPINE",
    "CHESTNUT", "CSPINE"])
def test_other_body_parts_are_skipped(body_part):
    code, reason = ingest._skip_reason(frontal(body_part))
    assert code == "not_chest" and reason == f"body part {body_part}, not the chest"


@pytest.mark.django_db
@pytest.mark.slow
def test_inline_reads_chest_pa_and_says_why_it_skips(site, xray_paths):
    chest_pa = support.push_study(xray_paths["normal"][0], body_part="CHEST PA",
                                  study_time="080000")
    hand = support.push_study(xray_paths["normal"][1], body_part="HAND", study_time="090000")
    lateral = support.push_study(xray_paths["normal"][2], view_position="LL",
                                 study_time="100000")
    out = io.StringIO()
    call_command("pacs_ingest", "--inline", stdout=out)
    text = out.getvalue()
    assert f"{chest_pa}: written" in text
    assert f"{hand}: skipped (not_chest): no frontal chest X-ray: body part HAND, not the chest" in text
    assert (f"{lateral}: skipped (not_frontal): no frontal chest X-ray: ViewPosition LL "
            "(lateral); only PA or AP are read") in text
