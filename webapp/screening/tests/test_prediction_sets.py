"""Prediction sets, uncertainty and the "unfamiliar X-ray" warning on the page, the reports (HTML
and PDF) and the API, in English and Indonesian (issue 15).

The served model is the bundled one with a `trust` section written into a copy of its card (the
fit a model gets from `python -m cxr trust fit`), chosen so that the outcome does not depend on
the image: COVID-19 and pneumonia are in every set and normal in none; every X-ray counts as
unfamiliar; `labelled` gives every reading a label, `uncertain` none. Its `measured` figures are
those the bundled card's fit measured on hospitals the model never saw (`trust_not_installed`).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from webapp.screening import outcomes, presentation
from webapp.screening.models import ApiToken, Reading
from webapp.tests.support.browser_helpers import log_in_on_redirect
from webapp.tests.support.screening_helpers import pdf_drawn_text, prediction_for, store_reading

INDONESIAN = {"django_language": "id"}
UNFAMILIAR_EN = "This X-ray is unlike the images the model was trained on"
UNFAMILIAR_ID = "Foto rontgen ini tidak mirip dengan gambar yang dipakai untuk melatih model"
TARGET_EN = "The set aimed to contain the right answer 90% of the time."
TARGET_ID = "Himpunan ini disusun agar memuat jawaban yang benar pada 90% kasus."
NOT_RULED_OUT_EN = "A class left out of the set is not ruled out."
NOT_RULED_OUT_ID = "Kelas yang tidak masuk himpunan tidak berarti sudah disingkirkan."
HEADING_EN = "What it could be (the prediction set)"
HEADING_ID = "Kemungkinan kelasnya (himpunan prediksi)"
UNCERTAIN_EN = "Uncertain: a radiologist should read this"
UNCERTAIN_ID = "Tidak pasti: sebaiknya dibaca oleh radiolog"


def _trust_model(folder: Path, bundled: Path, threshold: float) -> Path:
    from cxr.inference.card import ModelCard, Trust

    folder.mkdir()
    for name in ("model.onnx", "ood.npz"):
        (folder / name).symlink_to(bundled / name)
    card = ModelCard.load(bundled)
    measured = card.trust_not_installed.measured if card.trust_not_installed else {}
    # A threshold of None keeps a class in every set; -1 keeps it out of every set (1 - p >= 0).
    never_ruled_out = {"covid", "pneumonia"}
    trust = Trust(
        temperature=card.temperature, rule="max_probability", target_accuracy=0.9,
        threshold=threshold, set_confidence=0.9,
        set_thresholds=tuple(None if c in never_ruled_out else -1.0 for c in card.classes),
        familiarity_threshold=0.0, familiarity_k=10,  # every X-ray is farther than 0: unfamiliar
        measured=measured,
    )
    # Without the lung field's and verifier's files, so without their card sections (a card
    # that describes a part needs its file).
    card.replace(trust=trust, lung_field=None, verifier=None).write(folder)
    return folder


@pytest.fixture(scope="module")
def trust_models(tmp_path_factory) -> dict[str, Path]:
    from cxr.inference import resolve_model_dir

    bundled = resolve_model_dir()
    if not (bundled / "model.onnx").is_file():
        pytest.skip(f"bundled model not exported yet ({bundled / 'model.onnx'} is missing)")
    root = tmp_path_factory.mktemp("trust-models")
    return {"labelled": _trust_model(root / "labelled", bundled, threshold=0.0),
            "uncertain": _trust_model(root / "uncertain", bundled, threshold=1.01)}


@pytest.fixture
def trust_model_dir(settings, trust_models) -> Path:
    settings.CXR_MODEL_DIR = str(trust_models["labelled"])
    return trust_models["labelled"]


@pytest.fixture
def uncertain_model_dir(settings, trust_models) -> Path:
    settings.CXR_MODEL_DIR = str(trust_models["uncertain"])
    return trust_models["uncertain"]


def expected_set_sentence(reading, could_be="Could be", left_out="Left out of the set", joiner="or") -> str:
    """The sentence for this test's sets, COVID-19 and pneumonia named most likely first."""
    with translation.override("id" if joiner == "atau" else "en"):
        first, second = sorted(["covid", "pneumonia"], key=reading.probabilities.get, reverse=True)
        return (f"{could_be}: {outcomes.class_name(first)} {joiner} {outcomes.class_name(second)}. "
                f"{left_out}: Normal.")


SET_ID = ("Bisa jadi", "Tidak termasuk dalam himpunan", "atau")


def expected_level(model_dir: Path, language: str = "en") -> str:
    """The level sentence of this test's sets: the 90% target, then what the card measured on
    hospitals the model never saw (pooled, and the lowest and highest group), then the caveat."""
    from cxr.inference.card import ModelCard

    measured = ModelCard.load(model_dir).trust.measured
    shares = [g["set_coverage"]["value"] for g in measured["by_group"].values()]
    with translation.override(language):
        pooled, low, high = (outcomes.share_text(v) for v in (
            measured["pooled"]["set_coverage"]["value"], min(shares), max(shares)))
    if language == "en":
        return (f"{TARGET_EN} On X-rays from hospitals the model never saw, such sets contained it "
                f"{pooled} of the time ({low} to {high}, depending on the group of hospitals). "
                f"{NOT_RULED_OUT_EN}")
    return (f"{TARGET_ID} Pada foto rontgen dari rumah sakit yang belum pernah dilihat model, himpunan "
            f"seperti ini memuatnya pada {pooled} kasus ({low} sampai {high}, tergantung kelompok rumah "
            f"sakitnya). {NOT_RULED_OUT_ID}")


def unescaped_pdf_drawn_text(pdf: bytes) -> str:
    """pdf_drawn_text with the PDF string escapes of brackets undone and lines joined by one space."""
    return re.sub(r"\s+", " ", pdf_drawn_text(pdf).replace("\\(", "(").replace("\\)", ")"))


# --- the words ------------------------------------------------------------------------------------

def test_set_sentences_in_english_and_indonesian():
    order = ["pneumonia", "covid", "normal"]  # most likely first
    with translation.override("en"):
        assert outcomes.prediction_set_text(["covid", "pneumonia"], order) == (
            "Could be: Pneumonia (not COVID-19) or COVID-19. Left out of the set: Normal.")
        assert outcomes.prediction_set_text(["normal"], order) == (
            "The set keeps only Normal. Left out of it: Pneumonia (not COVID-19) and COVID-19.")
        assert outcomes.prediction_set_text(["normal", "covid", "pneumonia"], order) == (
            "The set keeps every class: it could be Pneumonia (not COVID-19), COVID-19 or Normal.")
        assert outcomes.prediction_set_text([], order).startswith("The set is empty")
        assert outcomes.prediction_set_text(None, order) == ""
        for prediction_set in (["covid"], ["covid", "pneumonia"], [], order):
            assert "ruled out" not in outcomes.prediction_set_text(prediction_set, order).lower()
    with translation.override("id"):
        assert outcomes.prediction_set_text(["covid", "pneumonia"], order) == (
            "Bisa jadi: Pneumonia (bukan COVID-19) atau COVID-19. Tidak termasuk dalam himpunan: Normal.")
        assert outcomes.prediction_set_text(["normal"], order) == (
            "Himpunan ini hanya memuat Normal. Tidak termasuk di dalamnya: Pneumonia (bukan COVID-19) dan "
            "COVID-19.")
        assert outcomes.prediction_set_text(["normal", "covid", "pneumonia"], order) == (
            "Himpunan ini memuat semua kelas: bisa jadi Pneumonia (bukan COVID-19), COVID-19 atau Normal.")
        assert outcomes.prediction_set_text([], order).startswith("Himpunan ini kosong")


def test_the_set_level_is_a_target_beside_what_was_measured():
    """The level a fit aimed at (90%) is not what its sets achieved on hospitals the model never
    saw: the sentence names it as a target, quotes the measured share, and never "ruled out"."""
    measured = outcomes.SetCoverage(0.5402, 0.4996, 0.9979)
    with translation.override("en"):
        assert outcomes.set_level_text(0.9, measured=measured) == (
            "The set aimed to contain the right answer 90% of the time. On X-rays from hospitals the "
            "model never saw, such sets contained it 54% of the time (50% to 99.8%, depending on the "
            "group of hospitals). A class left out of the set is not ruled out.")
        assert outcomes.set_level_text(0.9, measured=outcomes.SetCoverage(0.54)) == (
            f"{TARGET_EN} On X-rays from hospitals the model never saw, such sets contained it 54% of "
            f"the time. {NOT_RULED_OUT_EN}")
        assert outcomes.set_level_text(0.9) == f"{TARGET_EN} {NOT_RULED_OUT_EN}"  # nothing measured
        assert outcomes.set_level_text(0.955).startswith("The set aimed to contain the right answer 95.5% ")
        assert outcomes.set_level_text(0.9, at_site=True, measured=outcomes.SetCoverage(0.93)) == (
            "The set aimed to contain the right answer 90% of the time, as fitted on this site's own "
            "labelled X-rays. On held-out halves of those X-rays, such sets contained it 93% of the "
            f"time. {NOT_RULED_OUT_EN}")
        assert outcomes.set_level_text(None, measured=measured) == ""
        assert "confidence" not in outcomes.set_level_text(0.9, measured=measured)
    with translation.override("id"):
        assert outcomes.set_level_text(0.9, measured=measured) == (
            f"{TARGET_ID} Pada foto rontgen dari rumah sakit yang belum pernah dilihat model, himpunan "
            "seperti ini memuatnya pada 54% kasus (50% sampai 99,8%, tergantung kelompok rumah "
            f"sakitnya). {NOT_RULED_OUT_ID}")
        assert outcomes.set_level_text(0.955).startswith(
            "Himpunan ini disusun agar memuat jawaban yang benar pada 95,5% kasus.")


def test_the_measured_coverage_is_read_from_the_cards_fit():
    from cxr.inference.card import Trust

    def group(value):
        return {"set_coverage": {"value": value, "ci95": [0, 1], "n": 10}}

    trust = Trust(set_confidence=0.9, measured={"pooled": group(0.54), "by_group": {
        "a": group(0.92), "b": group(0.4996), "c": {"images": 3}}})
    assert outcomes.measured_set_coverage(trust) == outcomes.SetCoverage(0.54, 0.4996, 0.92)
    assert outcomes.measured_set_coverage(Trust(measured={"pooled": group(0.54)})) == outcomes.SetCoverage(0.54)
    assert outcomes.measured_set_coverage(Trust(set_confidence=0.9)) is None
    assert outcomes.measured_set_coverage(None) is None


# --- storage --------------------------------------------------------------------------------------

def test_a_reading_stores_its_set_its_level_and_the_unfamiliar_warning(patient, trust_model_dir, media_root,
                                                                      xray_paths):
    prediction = prediction_for(trust_model_dir, xray_paths["pneumonia"][0])
    assert prediction.prediction_set == ["covid", "pneumonia"]
    stored = store_reading(patient, trust_model_dir, xray_paths["pneumonia"][0])
    reading = Reading.objects.get(pk=stored.pk)
    assert reading.prediction_set == ["covid", "pneumonia"]
    assert reading.set_confidence == 0.9
    assert not reading.uncertain and reading.label == prediction.label
    unfamiliar = [w for w in reading.warnings if w["code"] == "unfamiliar_image"]
    assert len(unfamiliar) == 1 and unfamiliar[0]["params"]["limit"] == 0.0
    assert unfamiliar[0]["text"].startswith(UNFAMILIAR_EN)


def test_a_reading_of_a_model_without_trust_stores_no_set(patient, trust_model_dir, media_root, xray_paths):
    import dataclasses

    from webapp.screening import storage

    older = dataclasses.replace(prediction_for(trust_model_dir, xray_paths["normal"][0]), prediction_set=None)
    reading = storage.create_reading(patient, older)
    reading.refresh_from_db()
    assert reading.prediction_set is None and reading.set_confidence is None
    assert presentation.set_text(reading) == ""


# --- the reading page and the reports -------------------------------------------------------------

def test_the_page_shows_the_set_its_level_and_the_warning_in_both_languages(patient_client, patient,
                                                                          trust_model_dir, media_root,
                                                                          xray_paths):
    reading = store_reading(patient, trust_model_dir, xray_paths["pneumonia"][0])
    for name in ("screening:detail", "screening:report"):
        url = reverse(name, args=[reading.pk])
        patient_client.cookies.load({"django_language": "en"})
        english = patient_client.get(url).content.decode()
        assert HEADING_EN in english
        assert expected_set_sentence(reading) in english
        assert expected_level(trust_model_dir) in english
        assert "ruled out" not in english.replace(NOT_RULED_OUT_EN, "").lower()
        assert "confidence, measured" not in english  # the target is not presented as measured
        assert 'data-code="unfamiliar_image"' in english and UNFAMILIAR_EN in english
        assert "A clinician and an RT-PCR test decide" in english  # the disclaimer stays

        patient_client.cookies.load(INDONESIAN)
        indonesian = patient_client.get(url).content.decode()
        assert HEADING_ID in indonesian
        assert expected_set_sentence(reading, *SET_ID) in indonesian
        assert expected_level(trust_model_dir, "id") in indonesian
        assert UNFAMILIAR_ID in indonesian
        assert "Could be" not in indonesian and UNFAMILIAR_EN not in indonesian


def test_an_old_reading_without_a_set_shows_no_set(patient_client, patient, trust_model_dir, media_root,
                                                   xray_paths):
    reading = store_reading(patient, trust_model_dir, xray_paths["normal"][0], prediction_set=None,
                            set_confidence=None)
    html = patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode()
    assert 'data-testid="prediction-set"' not in html and "Left out of the set" not in html


def test_the_pdf_says_the_set_its_level_and_the_warning(patient_client, patient, trust_model_dir, media_root,
                                                        xray_paths):
    reading = store_reading(patient, trust_model_dir, xray_paths["pneumonia"][0])
    url = reverse("screening:report_pdf", args=[reading.pk])
    english = unescaped_pdf_drawn_text(patient_client.get(url).content)
    assert HEADING_EN in english
    assert expected_set_sentence(reading) in english
    assert expected_level(trust_model_dir) in english
    assert "Warnings" in english and UNFAMILIAR_EN in english

    patient_client.cookies.load(INDONESIAN)
    indonesian = unescaped_pdf_drawn_text(patient_client.get(url).content)
    assert expected_set_sentence(reading, *SET_ID) in indonesian
    assert expected_level(trust_model_dir, "id") in indonesian
    assert UNFAMILIAR_ID in indonesian
    assert "Could be" not in indonesian


def test_an_uncertain_reading_says_a_radiologist_should_read_it(patient_client, patient, uncertain_model_dir,
                                                                 media_root, xray_paths):
    reading = store_reading(patient, uncertain_model_dir, xray_paths["pneumonia"][0])
    assert reading.uncertain and reading.label is None and reading.reason_code == "uncertain_measured"
    page = reverse("screening:detail", args=[reading.pk])

    html = patient_client.get(page).content.decode()
    assert 'data-outcome="uncertain"' in html
    assert f"<h2>{UNCERTAIN_EN}</h2>" in html
    reason = re.search(r'data-testid="uncertain-reason">([^<]+)<', html).group(1)
    assert reason.startswith("The model leans to ")
    # The reason quotes the top probability as the bars show it (one decimal), never rounded up to 100%.
    top_bar = outcomes.probability_rows(reading)[0]["percent_text"]
    assert f"({top_bar})" in reason
    assert "from hospitals it never saw, readings this unsure could not be shown to be right at least 90% of the time" in reason
    # The headline, not repeated by the reason (the page's title names it too; the heat map's
    # text alternative names the class it shows).
    assert re.sub(r'alt="[^"]*"', "", html.split("<main", 1)[1]).count(UNCERTAIN_EN) == 1
    assert expected_set_sentence(reading) in html  # what it could be, though it gives no label
    for outcome in ("covid", "pneumonia", "normal"):
        assert outcomes.headline(outcome) not in html

    pdf = unescaped_pdf_drawn_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert UNCERTAIN_EN in pdf and "The model leans to " in pdf

    patient_client.cookies.load(INDONESIAN)
    indonesian = patient_client.get(page).content.decode()
    assert f"<h2>{UNCERTAIN_ID}</h2>" in indonesian
    reason = re.search(r'data-testid="uncertain-reason">([^<]+)<', indonesian).group(1)
    assert reason.startswith("Model cenderung ke ")
    pdf = unescaped_pdf_drawn_text(patient_client.get(reverse("screening:report_pdf", args=[reading.pk])).content)
    assert UNCERTAIN_ID in pdf and "Model cenderung ke " in pdf


def test_an_uncertain_readings_heat_map_is_described_by_the_class_it_shows(patient_client, patient,
                                                                           uncertain_model_dir, media_root,
                                                                           xray_paths):
    """The heat map of a reading without a label is still one class's map (the class the model
    leaned to): its text alternative names that class, not the outcome "Uncertain"."""
    import html as html_text

    path = xray_paths["pneumonia"][0]
    reading = store_reading(patient, uncertain_model_dir, path)
    shown = prediction_for(uncertain_model_dir, path).heatmap_class  # the class the engine drew
    assert reading.uncertain and shown
    for language, uncertain, leaned in (("en", UNCERTAIN_EN, "the class it leaned to without giving a label"),
                                        ("id", UNCERTAIN_ID, "kelas yang dicenderunginya tanpa memberi label")):
        patient_client.cookies.load({"django_language": language})
        with translation.override(language):
            name = outcomes.class_name(shown)
        page = html_text.unescape(patient_client.get(reverse("screening:detail", args=[reading.pk])).content.decode())
        alt = re.search(r'<img class="xray-heatmap"[^>]* alt="([^"]*)"', page).group(1)
        assert name in alt and leaned in alt, alt
        assert uncertain not in alt
        report = html_text.unescape(patient_client.get(reverse("screening:report", args=[reading.pk])).content.decode())
        overlay = re.search(r'<img src="[^"]*overlay[^"]*" alt="([^"]*)"', report).group(1)
        assert name in overlay and uncertain not in overlay
        # The visible captions say it too: a doctor sees the hot spot, not the alt text.
        note = {"en": f"No label was given: this map is of {name}, the class the model leaned to.",
                "id": f"Tidak ada label yang diberikan: peta ini untuk {name}, kelas yang dicenderungi "
                      "model."}[language]
        caption = re.search(r'data-testid="heatmap-class-note">([^<]*)<', page).group(1)
        assert caption == note and note in report
        pdf = unescaped_pdf_drawn_text(patient_client.get(reverse("screening:report_pdf",
                                                                  args=[reading.pk])).content)
        assert " ".join(note.split()[:4]) in pdf


# --- the API --------------------------------------------------------------------------------------

def test_the_api_gives_the_set_uncertainty_and_coded_warnings(patient, trust_model_dir, media_root, xray_paths):
    _token, key = ApiToken.issue(patient)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    path = xray_paths["pneumonia"][0]
    created = api.post(reverse("api:readings"),
                       {"image": SimpleUploadedFile(path.name, path.read_bytes(), "image/png")})
    assert created.status_code == 201, created.content[:300]
    body = created.json()
    assert body["prediction_set"] == ["covid", "pneumonia"]
    assert body["set_confidence"] == 0.9
    assert body["uncertain"] is False and body["label"] in ("covid", "pneumonia", "normal")
    unfamiliar = [w for w in body["warnings"] if w["code"] == "unfamiliar_image"]
    assert len(unfamiliar) == 1 and unfamiliar[0]["message"].startswith(UNFAMILIAR_EN)
    assert all(set(w) == {"code", "message"} for w in body["warnings"])
    # The same fields, for the same image, as `python -m cxr predict --json` (Prediction.to_json).
    cli = prediction_for(trust_model_dir, path).to_json()
    assert (body["prediction_set"], body["uncertain"], body["label"]) == (
        cli["prediction_set"], cli["uncertain"], cli["label"])
    assert [w["code"] for w in body["warnings"]] == [w["code"] for w in cli["warnings"]]

    indonesian = api.get(body["links"]["self"], HTTP_ACCEPT_LANGUAGE="id").json()
    assert [w["message"] for w in indonesian["warnings"] if w["code"] == "unfamiliar_image"][0].startswith(
        UNFAMILIAR_ID)

    old = store_reading(patient, trust_model_dir, xray_paths["normal"][0], prediction_set=None,
                        set_confidence=None, warnings=["an old warning stored as text"])
    old_body = api.get(reverse("api:reading", args=[old.pk])).json()
    assert old_body["prediction_set"] is None and old_body["set_confidence"] is None
    assert old_body["warnings"] == [{"code": None, "message": "an old warning stored as text"}]


def test_the_api_says_uncertain_plainly(patient, uncertain_model_dir, media_root, xray_paths):
    reading = store_reading(patient, uncertain_model_dir, xray_paths["pneumonia"][0])
    _token, key = ApiToken.issue(patient)
    body = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:reading", args=[reading.pk])).json()
    assert body["uncertain"] is True and body["outcome"] == "uncertain" and body["label"] is None
    assert body["headline"] == UNCERTAIN_EN
    assert body["reason"].startswith(UNCERTAIN_EN + ". The model leans to ")
    assert body["prediction_set"] == ["covid", "pneumonia"]


def test_the_openapi_schema_describes_the_new_fields(client, doctor, trust_model_dir, media_root, xray_paths):
    schemas = client.get(reverse("api:openapi")).json()["components"]["schemas"]
    properties = schemas["Reading"]["properties"]
    reading = store_reading(doctor, trust_model_dir, xray_paths["pneumonia"][0])
    _token, key = ApiToken.issue(doctor)
    body = Client(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:reading", args=[reading.pk])).json()
    assert set(body) == set(properties)  # every field the API gives is described, and no other
    assert properties["prediction_set"]["type"] == "array" and properties["prediction_set"]["nullable"]
    assert set(properties["prediction_set"]["items"]["enum"]) == set(outcomes.CLASS_NAMES)
    assert properties["uncertain"]["type"] == "boolean"
    assert properties["set_confidence"]["nullable"]
    # The level is the sets' target, not how often they held the true class where measured.
    assert "A target, not a measurement" in properties["set_confidence"]["description"]
    assert "How often such sets held" not in properties["set_confidence"]["description"]
    assert "cannot be ruled out" not in properties["prediction_set"]["description"]
    assert properties["warnings"]["items"] == {"$ref": "#/components/schemas/Warning"}
    assert set(schemas["Warning"]["required"]) == {"code", "message"}
    assert schemas["Warning"]["properties"]["code"]["nullable"]


# --- in a real browser ----------------------------------------------------------------------------

PASSWORD = "lantern-river-orbit-58"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_set_and_the_unfamiliar_warning_in_a_browser(page, live_server, test_output, trust_model_dir,
                                                         trust_models, media_root, settings, xray_paths):
    from webapp.accounts.models import User

    user = User.objects.create_user(email="sari@example.org", password=PASSWORD, full_name="Sari Wulandari")
    base = live_server.url
    log_in_on_redirect(page, base, "/screening/upload/", user.email, PASSWORD)

    page.set_input_files("#id_image", str(xray_paths["pneumonia"][0]))
    page.get_by_role("button", name="Screen this X-ray").click()
    page.wait_for_url(f"{base}/screening/readings/*/")
    reading = Reading.objects.get()
    assert reading.prediction_set == ["covid", "pneumonia"] and reading.set_confidence == 0.9

    box = page.get_by_test_id("prediction-set")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading")).to_have_text(HEADING_EN)
    expect(page.get_by_test_id("prediction-set-text")).to_have_text(expected_set_sentence(reading))
    expect(page.get_by_test_id("prediction-set-level")).to_have_text(expected_level(trust_model_dir))
    warning = page.get_by_test_id("warnings").locator('li[data-code="unfamiliar_image"]')
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(UNFAMILIAR_EN)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=test_output / "screening-prediction-set-en.png", full_page=True)

    page.locator("#language-select").select_option("id")
    page.wait_for_url(f"{base}/screening/readings/{reading.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_test_id("prediction-set").get_by_role("heading")).to_have_text(HEADING_ID)
    expect(page.get_by_test_id("prediction-set-text")).to_have_text(expected_set_sentence(reading, *SET_ID))
    expect(page.get_by_test_id("prediction-set-level")).to_have_text(expected_level(trust_model_dir, "id"))
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(UNFAMILIAR_ID)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=test_output / "screening-prediction-set-id.png", full_page=True)

    # A model that labels nothing: the page says plainly that a radiologist should read it.
    page.locator("#language-select").select_option("en")
    page.wait_for_url(f"{base}/screening/readings/{reading.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    settings.CXR_MODEL_DIR = str(trust_models["uncertain"])
    page.goto(f"{base}/screening/upload/")
    page.set_input_files("#id_image", str(xray_paths["pneumonia"][0]))
    page.get_by_role("button", name="Screen this X-ray").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/screening/readings/(?!{reading.pk}/)\d+/"))
    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_have_attribute("data-outcome", "uncertain")
    expect(outcome.get_by_role("heading")).to_have_text(UNCERTAIN_EN)
    expect(page.get_by_test_id("uncertain-reason")).to_contain_text("The model leans to ")
    expect(page.get_by_test_id("prediction-set-text")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=test_output / "screening-uncertain-en.png", full_page=True)


# --- How it works ---------------------------------------------------------------------------------

def test_how_it_works_calls_the_set_level_a_target_and_shows_what_was_measured(client, db, trust_model_dir):
    """The 90% is what the sets aimed at; on hospitals the model never saw they held the true class
    far less often, and the page says how often (the card's pooled and per-group figures)."""
    from cxr.inference.card import ModelCard

    measured = ModelCard.load(trust_model_dir).trust.measured
    shares = [g["set_coverage"]["value"] for g in measured["by_group"].values()]
    for language in ("en", "id"):
        html = client.get(reverse("guide:how_it_works"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        level = re.sub(r"\s+", " ", re.search(r'<dd id="trust-set-level">(.*?)</dd>', html, re.S).group(1))
        with translation.override(language):
            pooled, low, high = (outcomes.share_text(v) for v in (
                measured["pooled"]["set_coverage"]["value"], min(shares), max(shares)))
        if language == "en":
            assert "The sets aimed to contain the right answer 90% of the time." in level
            assert (f"On hospitals the model never saw, they contained it {pooled} of the time ({low} to "
                    f"{high}, depending on the group of hospitals") in level
            assert "So a class left out of the set is not ruled out" in level
            assert "held the true class about 90%" not in html and "is a firm reading" not in html
        else:
            assert "Himpunan ini disusun agar memuat jawaban yang benar pada 90% kasus." in level
            assert f"himpunan itu memuatnya pada {pooled} kasus ({low} sampai {high}," in level
