"""Studies whose images leave StudyDate empty (Type 2 in DICOM: a modality may send it empty),
against the real Orthanc of scripts/with-orthanc.sh: the poll looks for studies by StudyDate, so
these were never found, round after round, with no sign anywhere. They are found by the date of
their CR or DX series."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from webapp.pacs import dicomweb, ingest, tasks
from webapp.pacs.models import PacsStudy
from webapp.pacs.studies import xray_instance
from webapp.pacs.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def undated(image, *, series_date: str = "", modality: str = "DX", series_time: str = "120000"):
    """An instance without StudyDate and StudyTime, its series dated `series_date` (today)."""
    ds = xray_instance(image)
    ds.StudyDate, ds.StudyTime = "", ""
    ds.SeriesDate = series_date or f"{date.today():%Y%m%d}"
    ds.SeriesTime = series_time
    ds.Modality = modality
    support.push(ds)
    return str(ds.StudyInstanceUID)


def queued_uids(**kwargs) -> set[str]:
    with tasks.held_jobs():
        return {s.study_instance_uid for s in ingest.queue_new_studies(dicomweb.client(), **kwargs)}


def test_a_study_without_a_study_date_is_found_by_its_series_date(site, xray_paths):
    image = xray_paths["normal"][0]
    found = undated(image)
    dated = support.push_study(image)
    ct = undated(image, modality="CT")
    old = undated(image, series_date=f"{date.today() - timedelta(days=30):%Y%m%d}")

    assert queued_uids() == {found, dated}  # not the CT study, nor one 30 days old
    assert queued_uids() == set()  # found once, as a dated study is
    assert queued_uids(days=31) == {old}  # looking further back finds it
    assert not PacsStudy.objects.filter(study_instance_uid=ct).exists()

    study = PacsStudy.objects.get(study_instance_uid=found)
    assert tasks.run_inline(study.pk) == "written"
    study.refresh_from_db()
    assert study.study_date == "" and study.reading is not None


def test_undated_studies_are_all_found_from_a_capped_pacs(site, settings, xray_paths):
    assert settings.PACS_QUERY_LIMIT == 20, "scripts/with-orthanc.sh caps answers at 20"
    image = xray_paths["normal"][1]
    studies = {undated(image, series_time=f"{number % 12 + 8:02d}{number:02d}00")
               for number in range(23)}

    assert queued_uids() == studies


def test_a_pacs_that_leaves_study_dates_out_of_series_answers_is_not_asked_again(site, xray_paths,
                                                                                 monkeypatch):
    """A PACS need not give a series' StudyDate when asked for series: every series then looks
    undated. Studies the StudyDate query listed already are not asked for one by one."""
    from dicomweb_client import DICOMwebClient

    image = xray_paths["normal"][2]
    dated = set()
    for _ in range(3):  # each series dated, as a modality sends it
        ds = xray_instance(image)
        ds.SeriesDate = ds.StudyDate
        support.push(ds)
        dated.add(str(ds.StudyInstanceUID))
    asked: list[dict] = []
    search_for_series, search_for_studies = (DICOMwebClient.search_for_series,
                                             DICOMwebClient.search_for_studies)

    def series_without_study_dates(self, *args, **kwargs):
        return [{tag: value for tag, value in item.items() if tag != "00080020"}
                for item in search_for_series(self, *args, **kwargs)]

    def counted(self, *args, **kwargs):
        asked.append(kwargs.get("search_filters") or {})
        return search_for_studies(self, *args, **kwargs)

    monkeypatch.setattr(DICOMwebClient, "search_for_series", series_without_study_dates)
    monkeypatch.setattr(DICOMwebClient, "search_for_studies", counted)
    assert queued_uids() == dated
    assert [filters for filters in asked if "StudyInstanceUID" in filters] == []
