"""How it works: "How sure is it on hospitals it never saw" (the card's `trust` section), in English
and Indonesian, its risk-coverage plot, and the page without the fit."""
from __future__ import annotations

import json
import shutil

import pytest
from django.test import override_settings
from django.urls import reverse

from webapp.guide.tests.support import RISK_COVERAGE_PNG, trust_section
from webapp.guide.tests.test_guide import report

pytestmark = pytest.mark.django_db


def write_model(folder, trust: dict | None, not_installed: dict | None = None):
    card = {
        "name": "cxr-3class", "version": "2026-12-01+trust", "classes": ["covid", "pneumonia", "normal"],
        "task": "3class", "input_size": 224, "temperature": 1.7,
        "metrics": {"patient": report(0.94, 1487, [("raddb", 900, 0.96)])},
        "plots": {"roc": "roc_test.png"},
    }
    shutil.copyfile(RISK_COVERAGE_PNG, folder / "roc_test.png")
    if trust is not None:
        card["trust"] = trust
        card["plots"]["risk_coverage"] = "risk_coverage.png"
        shutil.copyfile(RISK_COVERAGE_PNG, folder / "risk_coverage.png")
    if not_installed is not None:
        card["trust_not_installed"] = not_installed
        card["plots"]["risk_coverage"] = "risk_coverage.png"
        shutil.copyfile(RISK_COVERAGE_PNG, folder / "risk_coverage.png")
    (folder / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


def labels_nothing_fit() -> dict:
    """A fit as `cxr trust --record-only` records one that failed: no threshold reached the
    target, so it would label nothing, also on the served model's own patient-split test."""
    fit = trust_section()
    fit["threshold"] = None
    fit["measured"]["patient_split_test"]["coverage"] = {"value": 0.0, "ci95": [0.0, 0.005], "n": 1487}
    fit["measured"]["patient_split_test"]["labelled_accuracy"] = {"value": None, "ci95": [None, None], "n": 0}
    fit["measured"]["served_patient_split_test"] = {
        "images": 1487, "refused": 3, "coverage": {"value": 0.968, "ci95": [0.953, 0.978], "n": 1487},
        "labelled_accuracy": {"value": 0.956, "ci95": [0.939, 0.969], "n": 1440},
        "set_coverage": {"value": 0.0, "ci95": [0.0, 0.003], "n": 1487}, "unfamiliar": 0}
    return fit


@pytest.fixture
def trust_model(tmp_path):
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, trust_section()))):
        yield tmp_path


def section(html: str) -> str:
    start = html.index('id="trust"')
    return html[start:html.index("</section>", start)]


def test_each_held_out_group_and_the_pooled_row_with_intervals(client, trust_model):
    response = client.get(reverse("guide:how_it_works"))
    assert response.status_code == 200
    html = section(response.content.decode())
    assert "How sure is it on hospitals it never saw" in html
    assert "each group in turn was held out: a model trained without that group read its X-rays" in html
    assert "were fitted on the other groups only" in html
    for group in ("cohen", "kermany", "nih", "raddb", "pooled"):
        assert f'data-group="{group}"' in html
    assert "skytells, zargari" in html                      # the sources of a group
    assert "All groups pooled" in html and "9,911" in html  # pooled images
    assert "92.1%" in html and "88.1% – 95.1%" in html      # pooled labelled readings right, CI
    assert "60.0%" in html                                  # share labelled
    assert "0.042" in html and "0.032 – 0.057" in html      # calibration error with its CI
    assert "90% sets hold the true class" in html and "91.0%" in html
    assert "1.46" in html                                   # mean set size
    assert "86.0%" in html and "67.0%" in html              # right if familiar / unfamiliar
    assert "—" in html                                      # nih: no reading got a label
    assert "1,487 test images of its own patient split" in html
    # The three things a reading can say, in plain words.
    assert "Uncertain" in html and "right at least 90% of the time" in html
    # The sets' 90% is a target, beside what they held on the held-out groups (pooled, range).
    assert "The sets aimed to contain the right answer 90% of the time." in html
    assert ("On hospitals the model never saw, they contained it 91% of the time (86% to 92%, depending "
            "on the group of hospitals") in html
    assert "held the true class about 90%" not in html and "is a firm reading" not in html
    assert "unlike the images the model learned from" in html
    assert "a clinician and an RT-PCR test decide" in html


def test_the_risk_coverage_plot_is_shown_in_the_section_and_served(client, trust_model):
    html = client.get(reverse("guide:how_it_works")).content.decode()
    url = reverse("guide:model_plot", args=["risk_coverage.png"])
    assert url in section(html)
    assert html.count(f'src="{url}"') == 1  # not repeated among the other plots (its link aside)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == RISK_COVERAGE_PNG.read_bytes()


def test_the_risk_coverage_plot_says_what_its_axes_are_in_the_readers_language(client, trust_model):
    """Its PNG's axis labels are English (drawn by `cxr trust`); the caption says what each axis
    is, as the other plots' captions do, and to other readers that the picture's words are English."""
    caption = section(client.get(reverse("guide:how_it_works")).content.decode())
    caption = caption[caption.index("<figcaption>"):caption.index("</figcaption>")]
    assert ("Across: the share of X-rays given a label, those the model was surest of first; up: how "
            "many of those labels were right.") in caption
    assert "plot-in-english" not in caption
    client.cookies["django_language"] = "id"
    caption = section(client.get(reverse("guide:how_it_works")).content.decode())
    caption = caption[caption.index("<figcaption>"):caption.index("</figcaption>")]
    assert ("Mendatar: bagian foto rontgen yang diberi label, dimulai dari yang paling diyakini "
            "model; tegak: berapa banyak dari label itu yang benar.") in caption
    assert "Tulisan di dalam gambar ini berbahasa Inggris." in caption
    assert "Across:" not in caption


def test_in_indonesian(client, trust_model):
    client.cookies["django_language"] = "id"
    html = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert "Seberapa yakin model pada rumah sakit yang belum pernah dilihatnya" in html
    assert "Semua kelompok digabung" in html
    assert "92,1%" in html                                  # Indonesian decimal comma
    assert "Himpunan 90% memuat kelas yang benar" in html
    assert "dokter dan tes RT-PCR yang menentukan" in html
    assert "How sure is it" not in html


def test_without_the_fit_the_page_says_it_is_not_installed(client, tmp_path):
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, None))):
        html = client.get(reverse("guide:how_it_works")).content.decode()
        client.cookies["django_language"] = "id"
        html_id = client.get(reverse("guide:how_it_works")).content.decode()
    assert 'id="no-trust"' in html and "The out-of-source fit is not installed for this model." in html
    assert 'id="trust-table"' not in html
    assert "Penyesuaian di luar sumber belum terpasang untuk model ini." in html_id


def test_without_the_fit_the_page_quotes_the_source_split_each_label_quotes(client, model_dir):
    """The bundled card has no trust fit but a source split: the box must not say nothing was
    measured, and it quotes the same figure as every label's caveat."""
    from cxr.inference.card import ModelCard

    card = ModelCard.load(model_dir)
    unseen = (card.metrics.get("source") or {}).get("accuracy")
    if card.trust or not unseen:
        pytest.skip("the served card has a trust fit or no source split")
    html = client.get(reverse("guide:how_it_works")).content.decode()
    client.cookies["django_language"] = "id"
    html_id = client.get(reverse("guide:how_it_works")).content.decode()
    box = html[html.index('id="no-trust"'):]
    box = box[:box.index("</div>")]
    assert "There are no measurements" not in box
    assert f"right {round(100 * unseen['value'], 1)}% of the time" in box
    if unseen.get("ci95"):
        low, high = (round(100 * v, 1) for v in unseen["ci95"])
        assert f"(95% CI {low}% – {high}%)" in box
    else:  # no interval in the card: none on the page, not an empty one
        assert "(95% CI" not in box.split("Trained the same way")[1].split(".")[0]
    box_id = html_id[html_id.index('id="no-trust"'):]
    if card.trust_not_installed:  # then the measured fit is below the box, and the box says so
        assert "The fit was measured (below) and not installed" in box
        assert "Penyesuaian ini sudah diukur (di bawah) tetapi tidak dipasang" in box_id[:box_id.index("</div>")]
    else:
        assert "hanya diukur oleh pembagian per sumber di atas" in box_id[:box_id.index("</div>")]


def test_a_fit_measured_but_not_installed_is_shown_with_why(client, tmp_path):
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, None, labels_nothing_fit()))):
        html = section(client.get(reverse("guide:how_it_works")).content.decode())
        client.cookies["django_language"] = "id"
        html_id = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert "The out-of-source fit is not installed for this model." in html
    measured = html[html.index('id="trust-not-installed"'):]
    assert "What the fit measured, and why it is not installed" in measured
    assert 'id="trust-labels-nothing"' in measured and "would give no label at all" in measured
    for group in ("cohen", "kermany", "nih", "raddb", "pooled"):
        assert f'data-group="{group}"' in measured
    assert "91.0%" in measured and "1.46" in measured  # set coverage, mean set size
    assert "would have labelled 0.0% of X-rays" in measured
    # ... against what the served model does on the same images: the comparison that decided.
    assert ("As installed, with its confidence threshold, it labels 96.8% of them (95% CI 95.3% – 97.8%), "
            "and 95.6% of those labels are right (95% CI 93.9% – 96.9%).") in " ".join(measured.split())
    assert "the installed model with these rules labelled" not in measured
    assert reverse("guide:model_plot", args=["risk_coverage.png"]) in measured
    # Installed-fit wording stays out: this fit decides nothing.
    assert "What a reading tells you" not in html and "The installed model uses the same rules" not in html
    assert "Apa yang diukur penyesuaian ini, dan mengapa tidak dipasang" in html_id
    assert "tidak akan memberi label sama sekali" in html_id
    assert "Sebagaimana terpasang, dengan ambang keyakinannya, model ini memberi label pada 96,8%" in html_id


def test_a_recorded_fit_that_would_label_says_nothing_of_labelling_nothing(client, tmp_path):
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, None, trust_section()))):
        html = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert 'id="trust-not-installed"' in html and 'id="trust-labels-nothing"' not in html


def test_an_installed_fit_is_shown_instead_of_a_recorded_one(client, tmp_path):
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, trust_section(), labels_nothing_fit()))):
        html = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert 'id="trust-not-installed"' not in html and 'id="no-trust"' not in html
    assert html.count('id="trust-table"') == 1 and "the installed model with these rules labelled" in html


def test_fold_models_trained_more_cheaply_are_said_to_be(client, tmp_path):
    trust = trust_section()
    trust["protocol"]["recipe_differs_from_served_model"] = {"img_size": [128, 224],
                                                             "max_train_batches": [60, 100]}
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, trust))):
        html = section(client.get(reverse("guide:how_it_works")).content.decode())
        client.cookies["django_language"] = "id"
        html_id = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert 'id="trust-recipe"' in html and "trained more cheaply than the installed model" in html
    assert "img_size 128 (224), max_train_batches 60 (100)" in html
    assert "dilatih dengan cara yang lebih hemat" in html_id


def test_fold_models_with_the_served_recipe_need_no_remark(client, trust_model):
    assert 'id="trust-recipe"' not in client.get(reverse("guide:how_it_works")).content.decode()


def test_left_out_families_show_what_the_whole_guard_refused():
    """A family's row gives the whole guard's refusal (every served check, the verifier fitted
    without the family) when the card has it, and the verifier-or-rules share of older cards."""
    from cxr.inference.card import ModelCard, VerifierCheck
    from webapp.guide.card_tables import cell, guard_checks

    def share(k, n):
        return {"value": k / n, "ci95": [k / n - 0.05, min(1.0, k / n + 0.05)], "n": n}

    families = {"screen_photo": {"either": share(222, 300), "whole_guard": share(258, 300)},
                "degraded": {"either": share(160, 300)}}
    card = ModelCard(name="m", version="1", classes=("covid", "pneumonia", "normal"),
                     verifier=VerifierCheck(families_left_out=families))
    rows = {row.name: row.cells for row in guard_checks(card).family_rows}
    assert rows["screen_photo"][1] == cell(share(258, 300), "accuracy")
    assert rows["degraded"][1] == cell(share(160, 300), "accuracy")
    assert rows["screen_photo"][0].value == "300"


def test_an_installed_fit_that_labels_nothing_says_so_in_a_whole_sentence(client, tmp_path):
    """Installed, a fit that labels nothing printed "labelled 0.0% of X-rays, and — of those
    labels were right" (an audit in both languages); it now says no label could be checked."""
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, labels_nothing_fit()))):
        html = section(client.get(reverse("guide:how_it_works")).content.decode())
        client.cookies["django_language"] = "id"
        html_id = section(client.get(reverse("guide:how_it_works")).content.decode())
    assert "labelled none of the X-rays, so no label could be checked" in html
    assert "and — of those" not in html and "dan — dari" not in html_id
    assert "sehingga tidak ada label yang dapat diperiksa" in html_id


def test_the_temperature_shown_is_the_one_readings_use(client, trust_model):
    """With an out-of-source fit installed, readings are scaled by its temperature (1.412 here),
    and How it works showed only the card's (1.7), fitted on validation images."""
    html = client.get(reverse("guide:how_it_works")).content.decode()
    assert "Temperature in use: 1.412" in html and "it was 1.7," in html  # no trailing zeros
    assert "Temperature: 1.7" not in html


@pytest.mark.parametrize("installed", [True, False])
def test_the_page_says_the_rule_was_chosen_on_the_rows_it_shows(client, tmp_path, installed):
    """The statistics audit: `cxr trust` chooses the rule (of those compared) on the same
    left-out measurements it then reports, so "fitted on the other groups only" is not the whole
    truth. The page says so where the rule was chosen, and not where it was named (--rule)."""
    fit = trust_section()
    said = ("One thing was not: which kind of rule gives labels was chosen, of 2 compared, as the one "
            "that did best on these same measurements, so the rows can flatter it a little.")
    folder = write_model(tmp_path, fit if installed else None, None if installed else fit)
    with override_settings(CXR_MODEL_DIR=str(folder)):
        html = " ".join(section(client.get(reverse("guide:how_it_works")).content.decode()).split())
    assert said in html
    fit["protocol"]["rule_chosen_on_measurements"] = False  # --rule named it
    (tmp_path / "named").mkdir()
    folder = write_model(tmp_path / "named", fit if installed else None, None if installed else fit)
    with override_settings(CXR_MODEL_DIR=str(folder)):
        html = " ".join(section(client.get(reverse("guide:how_it_works")).content.decode()).split())
    assert "which kind of rule gives labels was chosen" not in html
    assert "were fitted on the other groups only" in html

