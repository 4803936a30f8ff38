"""The site check page says what `python -m cxr validate-site` says, in English and Indonesian.

`cxr validate-site` (cxr.inference.site_check) now judges a card without an out-of-source fit
(the bundled model's) by its accuracy on new patients of its training collections, ends every
verdict with what to do next and how many cases would decide it, words "none refused" plainly,
and accepts data import's label spellings. The page rendered the English text for the new
verdict on its Indonesian page, said such a card gives "at most inconclusive", showed only the
card's 37.5% for collections it never saw beside the most likely class, and refused "COVID-19".

The sentences are built from a real report (site_report with the bundled card's own figures);
in English the page must say exactly what the report says (the page writes its intervals
"a – b" where the report writes "a-b").
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from cxr.inference.site_check import SiteCase, proportion, refusal_check, site_report
from webapp.screening.models import SiteValidation
from webapp.screening.site_validation import refusal_text, verdict_text

REPO = Path(__file__).resolve().parents[3]
CLASSES = ["covid", "pneumonia", "normal"]
URL = "/screening/site-validation/"


def _bundled_figures() -> dict:
    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures

    path = REPO / "models" / "bundled" / "model_card.json"
    if not path.is_file():
        pytest.skip("no bundled model card")
    return card_figures(ModelCard.from_dict(json.loads(path.read_text())))


def _case(truth: str, top: str, label: str | None = None) -> SiteCase:
    return SiteCase(truth, label, False, {c: (0.8 if c == top else 0.1) for c in CLASSES}, None)


def _read(right: int, wrong: int) -> list[SiteCase]:
    return [_case("covid", "covid")] * right + [_case("normal", "covid")] * wrong


def _labelled(right: int, wrong: int) -> list[SiteCase]:
    return [_case("covid", "covid", "covid")] * right + [_case("normal", "covid", "covid")] * wrong


def _trust(accuracy: float = 0.93, target: float = 0.9) -> dict:
    return {"target_accuracy": target, "measured": {"pooled": {
        "labelled_accuracy": {"value": accuracy, "ci95": [0.9, 0.95], "n": 400},
        "coverage": {"value": 0.6, "ci95": [0.55, 0.65], "n": 700}}}}


def _stored(report: dict) -> SiteValidation:
    return SiteValidation(verdict_code=report["verdict"]["code"], verdict_text=report["verdict"]["text"],
                          report=report)


def _said(function, validation: SiteValidation) -> tuple[str, str]:
    with translation.override("en"):
        english = function(validation)
    with translation.override("id"):
        indonesian = function(validation)
    return english, indonesian


def _plain(text: str) -> str:
    return text.replace(" – ", "-")


@pytest.mark.parametrize(("right", "wrong", "code"), [
    (20, 0, "too_few_cases"),
    (30, 0, "inconclusive"),           # 100% (88.6%-100%) may be below the card's 94.9%
    (32, 13, "not_validated"),         # 71% (57%-82%)
    (120, 0, "consistent_with_card"),  # 100% (96.9%-100%)
])
def test_a_card_without_a_fit_is_judged_by_its_patient_split_in_both_languages(right, wrong, code):
    figures = _bundled_figures()
    report = site_report(_read(right, wrong), CLASSES, **figures)
    result = report["verdict"]
    assert result["code"] == code and result["params"]["measure"] == "top_class_accuracy"
    english, indonesian = _said(verdict_text, _stored(report))
    assert _plain(english) == result["text"]
    # Said in Indonesian, with the card's patient split and its interval in Indonesian numbers.
    seen = figures["card_split_accuracy"]["patient"]
    assert "pasien baru dari koleksi tempat model dilatih" in indonesian
    assert f"{100 * seen['value']:.1f}%".replace(".", ",") in indonesian or code == "too_few_cases"
    assert "37,5%" in indonesian  # collections it never saw, beside it
    for english_words in ("most likely class", "The model card", "X-rays read", "never saw"):
        assert english_words not in indonesian
    if code == "inconclusive":
        needed = result["params"]["cases_to_decide"]
        assert f"sekitar {needed} foto rontgen yang dibaca secara keseluruhan ({needed - right} lagi)" in indonesian
        assert "anggap model belum diperiksa di tempat ini" in indonesian
    if code == "not_validated":
        assert "Jangan mengandalkan hasil bacanya di sini" in indonesian
    if code == "consistent_with_card":
        assert "Periksa lagi dengan kasus baru" in indonesian
    if code == "too_few_cases":
        assert "20 foto rontgen dibaca; diperlukan setidaknya 30 (10 lagi)" in indonesian


@pytest.mark.parametrize(("cases", "trust", "code"), [
    (_labelled(20, 0), _trust(), "too_few_cases"),
    (_labelled(91, 9), _trust(), "inconclusive"),        # 91% (84%-95%) vs the 90% target
    (_labelled(80, 20), _trust(), "not_validated"),
    (_labelled(190, 10), _trust(), "consistent_with_card"),
    (_labelled(40, 0), None, "inconclusive"),             # nothing on the card to compare with
])
def test_a_card_with_a_fit_gets_the_reports_verdict_and_next_step(cases, trust, code):
    report = site_report(cases, CLASSES, trust)
    result = report["verdict"]
    assert result["code"] == code
    validation = _stored(report)
    english, indonesian = _said(verdict_text, validation)
    assert _plain(english) == result["text"]
    assert english != indonesian and "labelled readings" not in indonesian and "pembacaan berlabel" in indonesian
    needed = result["params"].get("cases_to_decide")
    if needed:  # the trust card's inconclusive verdict says how many labelled readings would decide it
        assert f"sekitar {needed} pembacaan berlabel secara keseluruhan ({needed - 100} lagi)" in indonesian
        # A report stored before the verdict said it: the same count, by the same rule.
        del validation.report["verdict"]["params"]["cases_to_decide"]
        assert _said(verdict_text, validation)[0] == english


@pytest.mark.parametrize(("k", "n", "code"), [(0, 30, "inconclusive"), (1, 60, "inconclusive"),
                                              (12, 200, "above_budget"), (0, 200, "within_budget")])
def test_the_refusal_sentence_is_worded_as_the_reports(k, n, code):
    check = refusal_check(proportion(k, n))
    assert check["code"] == code
    validation = SiteValidation(verdict_code="inconclusive", report={"refusal_check": check})
    english, indonesian = _said(refusal_text, validation)
    assert _plain(english) == check["text"]
    assert "Refusals inconclusive" not in english and "the guard" not in indonesian
    if code == "inconclusive":
        needed = check["params"]["cases_to_decide"]
        assert f"{needed} foto rontgen" in indonesian and f"({needed - n} lagi)" in indonesian
        if k == 0:
            assert english.startswith("No X-ray was refused as not a chest X-ray (0 of 30;")
            assert indonesian.startswith("Tidak ada foto rontgen yang ditolak sebagai bukan foto rontgen dada")
        # A report stored before refusals said how many would tell: the same count, by the same rule.
        del validation.report["refusal_check"]["params"]["cases_to_decide"]
        assert _said(refusal_text, validation)[0] == english


def test_the_pages_words_are_the_reports():
    from cxr.inference import site_check
    from webapp.screening import site_validation

    with translation.override("en"):
        assert {k: str(v) for k, v in site_validation.SPLIT_WORDS.items()} == site_check.SPLIT_WORDS
        assert str(site_validation.NOT_VALIDATED_NEXT) == site_check.NOT_VALIDATED_NEXT
        assert str(site_validation.CONSISTENT_NEXT) == site_check.CONSISTENT_NEXT


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_report_table_shows_the_figure_the_verdict_compares_with(admin_client, language):
    figures = _bundled_figures()
    report = site_report(_read(30, 0), CLASSES, **figures)
    validation = SiteValidation.objects.create(
        run_by=admin_client.admin, model_version="bundled", cases=30, read=30, report=report,
        verdict_code=report["verdict"]["code"], verdict_text=report["verdict"]["text"])
    admin_client.cookies["django_language"] = language
    html = admin_client.get(reverse("screening:site_validation_detail", args=[validation.pk])).content.decode()
    html = html.replace("&#x27;", "'")
    start = html.index('data-testid="card-split-patient"')
    patient = html[start:html.index("</div>", start)]
    start = html.index('data-testid="card-split-source"')
    source = html[start:html.index("</div>", start)]
    if language == "en":
        assert "New patients of the collections it was trained on (its patient split): 94.9%" in patient
        assert "93.1% – 96.3%" in patient and "The verdict compares with this figure." in patient
        assert "Collections it never saw (a model trained the same way without them): 37.5%" in source
        assert "compares" not in source
        assert "Model card (95% CI)" in html and "Model card, hospitals it never saw" not in html
        assert "The card has no out-of-source fit." in html
        assert _plain(verdict_text(validation)) == report["verdict"]["text"]
    else:
        assert "Pasien baru dari koleksi tempat model dilatih (pembagian per pasiennya): 94,9%" in patient
        assert "93,1% – 96,3%" in patient and "Kesimpulan dibandingkan dengan angka ini." in patient
        assert "37,5%" in source
        assert "Kartu model (IK 95%)" in html
        assert report["verdict"]["text"][:40] not in html  # the verdict in Indonesian, not the stored English
        needed = report["verdict"]["params"]["cases_to_decide"]
        assert f"sekitar {needed} foto rontgen yang dibaca secara keseluruhan ({needed - 30} lagi)" in html


def _served_card(settings, tmp_path, metrics: dict):
    """The stub model with `metrics` on its card and no out-of-source fit."""
    from webapp.screening import engine

    model = tmp_path / "model"
    shutil.copytree(engine.configured_model_dir(), model)
    card = json.loads((model / "model_card.json").read_text())
    card.pop("trust", None)
    card["metrics"] = metrics
    (model / "model_card.json").write_text(json.dumps(card))
    settings.CXR_MODEL_DIR = str(model)
    engine._loaded.clear()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_form_says_what_a_card_without_a_fit_is_compared_with(admin_client, settings, tmp_path, language):
    from webapp.screening import engine

    _served_card(settings, tmp_path, {
        "patient": {"n": 752, "accuracy": {"value": 0.949468, "ci95": [0.933511, 0.964096]}},
        "source": {"n": 477, "accuracy": {"value": 0.375262, "ci95": [0.356394, 0.394130]}}})
    try:
        admin_client.cookies["django_language"] = language
        html = admin_client.get(URL).content.decode().replace("&#x27;", "'")
        start = html.index('data-testid="card-basis"')
        note = " ".join(html[start:html.index("</div>", start)].split())
        assert "at most inconclusive" not in note and "paling jauh belum dapat dipastikan" not in note
        if language == "en":
            assert ("The verdict compares this site's most-likely-class accuracy (every read X-ray) with the "
                    "94.9% (95% CI 93.4% – 96.4%) the card measured on new patients of the collections it was "
                    "trained on (its patient split).") in note
            assert "at least 30 read X-rays are needed for any verdict" in html
        else:
            assert "dengan 94,9% (IK 95% 93,4% – 96,4%) yang diukur kartu pada pasien baru" in note
        # A card with no split measured either: nothing to compare with, said so.
        _served_card(settings, tmp_path / "bare", {})
        html = admin_client.get(URL).content.decode().replace("&#x27;", "'")
        start = html.index('data-testid="card-basis"')
        note = " ".join(html[start:html.index("</div>", start)].split())
        assert ("no accuracy on new patients to compare with" in note if language == "en"
                else "maupun akurasi pada pasien baru sebagai pembanding" in note)
    finally:
        engine._loaded.clear()
