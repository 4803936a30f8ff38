"""While the site calibration cannot be used, screening says so, why, and how to fix it (operator
audit, finding C): with CXR_SITE_CALIBRATION fitted for another model version, the upload page
(English and Indonesian) said "No model is installed" and told administrators to export a model,
and the API answered 503 model_not_installed. Real parts: the bundled model, a calibration file
fitted for model 2027-02-01+abc1234, a real X-ray of ../shared."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cxr.inference import ModelCard
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.screening_helpers import write_site_calibration

pytestmark = pytest.mark.django_db
FITTED = "2027-02-01+abc1234"


@pytest.fixture
def installed(model_dir, settings, tmp_path) -> str:
    """The installed model's version, served with a calibration fitted for another one."""
    settings.CXR_SITE_CALIBRATION = str(write_site_calibration(
        model_dir, tmp_path / "site.json", 0.8, version=FITTED, cases=60, set_threshold=0.9))
    return ModelCard.load(model_dir).served_version


def why_en(installed: str) -> str:
    return f"It was fitted on the readings of model {FITTED}, and the installed model is {installed}."


def test_the_api_answers_its_own_problem_with_the_reason_and_the_fix(installed, patient, media_root, xray_paths):
    _token, key = ApiToken.issue(patient)
    path = xray_paths["covid"][0]
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
        reverse("api:readings"), {"image": SimpleUploadedFile(path.name, path.read_bytes())})
    assert answer.status_code == 503
    body = answer.json()
    assert body["code"] == "site_calibration_unusable" and body["error"]["code"] == "site_calibration_unusable"
    assert why_en(installed) in body["detail"] and "No model" not in body["detail"]
    assert any("CXR_SITE_CALIBRATION" in advice for advice in body["advice"])
    assert not Reading.objects.exists()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_upload_page_says_the_site_calibration_cannot_be_used(installed, patient_client, language):
    with translation.override(language):
        page = patient_client.get(reverse("screening:upload"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-testid="site-calibration-unusable"' in page and 'id="upload-form"' not in page
    assert "CXR_SITE_CALIBRATION" in page and FITTED in page and installed in page
    if language == "en":
        assert "The site calibration cannot be used" in page and why_en(installed) in page
        assert "No model is installed" not in page and "python -m cxr export" not in page
    else:
        assert "Kalibrasi fasilitas ini tidak dapat dipakai" in page
        assert "Hasil baca Anda sebelumnya tetap tersedia." in page
        assert "Belum ada model yang terpasang" not in page


def test_a_web_upload_is_refused_with_the_same_words(installed, patient_client, media_root, xray_paths):
    path = xray_paths["covid"][0]
    answer = patient_client.post(reverse("screening:upload"),
                                 {"image": SimpleUploadedFile(path.name, path.read_bytes())})
    assert answer.status_code == 503
    page = answer.content.decode()
    assert "The site calibration cannot be used" in page and "No model is installed" not in page
    assert not Reading.objects.exists()


def test_the_site_check_page_says_so_too(installed, make_user):
    staff = make_user(email="staff@example.org", role="doctor", is_staff=True)
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("screening:site_validation")).content.decode()
    assert 'data-testid="site-calibration-unusable"' in page and why_en(installed) in page
    assert "No model is installed" not in page
