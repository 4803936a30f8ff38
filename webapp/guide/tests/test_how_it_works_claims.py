"""How it works says what the card and the app do, no more: the guard's reach, the labels'
out-of-source figures, how each interval was computed, and intervals only where the card has them."""
from __future__ import annotations

import json
from html import unescape

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from webapp.guide.tests.test_guide import report

pytestmark = pytest.mark.django_db


def page(client, language: str = "en") -> str:
    with translation.override(language):
        client.cookies["django_language"] = language
        return client.get(reverse("guide:how_it_works")).content.decode()


@override_settings(CXR_MODEL_DIR="/nonexistent-model-dir")
@pytest.mark.parametrize(("language", "claim"), [
    ("en", "It refuses most pictures that are not chest X-rays taken from the front, but not every one"),
    ("id", "menolak sebagian besar gambar yang bukan foto rontgen dada dari depan, tetapi tidak semuanya"),
])
def test_in_short_does_not_promise_every_wrong_picture_is_refused(client, language, claim):
    # The page measures photos of a film on a table refused 88% of the time, not always.
    short = page(client, language)
    short = short[short.index('id="in-short"'):short.index("</section>", short.index('id="in-short"'))]
    assert claim in short


def test_the_page_quotes_each_labels_own_out_of_source_figure_as_the_labels_do(client, settings):
    """Labels of a model without an out-of-source fit quote their own class's precision on the
    source split (cxr.inference.limitations), not the overall accuracy: so does the page."""
    from webapp.guide.model_card import load_card

    settings.CXR_MODEL_DIR = ""  # the bundled model
    card = load_card()
    source = card.metrics["source"]
    if card.trust or "per_class" not in source:
        pytest.skip("the bundled card has a trust fit or no per-class source figures")
    classes, matrix = source["classes"], source["confusion_matrix"]
    names = {"covid": ("COVID-19", "COVID-19"), "normal": ("Normal", "Normal"),
             "pneumonia": ("Pneumonia (not COVID-19)", "Pneumonia (bukan COVID-19)")}
    for language, template in (("en", "“{name}”: right {right} of {said} times ("),
                               ("id", "“{name}”: benar {right} dari {said} kali (")):
        html = page(client, language)
        box = html[html.index('id="no-trust"'):]
        box = box[:box.index("</div>")]
        assert "every label it gives says so" not in box
        for column, label in enumerate(classes):
            said = sum(row[column] for row in matrix)
            if not said:
                continue
            name = names[label][0 if language == "en" else 1]
            assert template.format(name=name, right=matrix[column][column], said=said) in box
    assert "“Normal”: right 130 of 402 times (32%; 95% CI 28–37%)" in page(client)


def test_a_source_accuracy_without_interval_is_quoted_without_an_empty_one(client, tmp_path, settings):
    source = report(0.6812, 138, [("darkcovidnet", 138, 0.681)])
    del source["accuracy"]["ci95"]
    card = {"name": "cxr-3class", "version": "1", "classes": ["covid", "pneumonia", "normal"],
            "task": "3class", "input_size": 224, "metrics": {"source": source}}
    (tmp_path / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    settings.CXR_MODEL_DIR = str(tmp_path)
    html = page(client)
    box = html[html.index('id="no-trust"'):]
    box = box[:box.index("</div>")]
    assert "right 68.1% of the time." in box
    assert "95% CI )" not in html and "(95% CI" not in box


def recorded_fit_page(client, tmp_path, language: str = "en", without_intervals: bool = False) -> str:
    from webapp.guide.tests.test_trust_section import labels_nothing_fit, write_model

    fit = labels_nothing_fit()
    if without_intervals:
        served = fit["measured"]["served_patient_split_test"]
        for key in ("coverage", "labelled_accuracy"):
            del served[key]["ci95"]
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, None, fit))):
        html = page(client, language)
    start = html.index('id="trust-patient-split"')
    return html[start:html.index("</p>", start)]


def test_the_recorded_fits_patient_split_coverage_carries_its_interval(client, tmp_path):
    # The card holds 0.0% [0.0, 0.5%]: "would have labelled 0.0%" alone hides how sure that is.
    text = " ".join(recorded_fit_page(client, tmp_path).split())
    assert "would have labelled 0.0% of X-rays (95% CI 0.0% – 0.5%)." in text
    text = " ".join(recorded_fit_page(client, tmp_path, "id").split())
    assert "akan memberi label pada 0,0% foto rontgen (IK 95% 0,0% – 0,5%)." in text


def test_served_figures_without_intervals_have_no_empty_interval(client, tmp_path):
    text = " ".join(recorded_fit_page(client, tmp_path, without_intervals=True).split())
    assert "it labels 96.8% of them, and 95.6% of those labels are right." in text
    assert "95% CI )" not in text
    (tmp_path / "with").mkdir()
    text = " ".join(recorded_fit_page(client, tmp_path / "with").split())
    assert ("it labels 96.8% of them (95% CI 95.3% – 97.8%), and 95.6% of those labels are right "
            "(95% CI 93.9% – 96.9%).") in text


def card_with_intervals(tmp_path, settings, keys: dict) -> None:
    """A card whose splits carry `intervals` keys (split -> key, None: no key)."""
    metrics = {}
    for split, key in keys.items():
        metrics[split] = report(0.9, 752, [("raddb", 656, 0.96)])
        if key is not None:
            metrics[split]["intervals"] = key
    metrics[next(iter(keys))]["nll"] = 0.31  # a measure without interval
    card = {"name": "cxr-3class", "version": "1", "classes": ["covid", "pneumonia", "normal"],
            "task": "3class", "input_size": 224, "metrics": metrics}
    (tmp_path / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    settings.CXR_MODEL_DIR = str(tmp_path)


def methods_text(client, language: str = "en") -> str:
    html = page(client, language)
    start = html.index('id="interval-methods"')
    return unescape(" ".join(html[start:html.index("</details>", start)].split()))


RECOUNTED = ("Accuracy, sensitivity, specificity and positive predictive value have Wilson score "
             "intervals, counted from the test images' confusion matrix. AUC and the macro averages "
             "come from bootstrap resampling of the test images within each true class; for macro "
             "precision that is narrower than for a new mix of patients.")
WILSON = ("Accuracy, sensitivity, specificity and positive predictive value have Wilson score "
          "intervals. AUC and macro recall come from bootstrap resampling of the test images within "
          "each true class, macro precision from resampling over all test images.")
STRATIFIED = ("The intervals of the overall and per-class measures come from bootstrap resampling "
              "of the test images within each true class: they keep the test set's mix of "
              "classes")
# The calibration error's range is no confidence interval (cxr.evaluation.metrics.ECE_SPREAD_NOTE):
# each method says so instead of listing it among the bootstrap intervals.
ECE_SPREAD = {
    None: "The calibration error's range, resampled the same way, is only the spread of its "
          "resamples, not a confidence interval.",
    "wilson+stratified-bootstrap": "The calibration error's range, resampled the same way, is only "
                                   "the spread of its resamples, not a confidence interval.",
    "wilson+bootstrap": "The calibration error's range, resampled over all test images, is only the "
                        "spread of its resamples, not a confidence interval.",
}


@pytest.mark.parametrize(("key", "expected", "not_expected"), [
    (None, STRATIFIED, "counted from the test images"),
    ("wilson+stratified-bootstrap", RECOUNTED, STRATIFIED),
    ("wilson+bootstrap", WILSON, STRATIFIED),
])
def test_the_interval_methods_follow_the_cards_intervals_key(client, tmp_path, settings, key, expected,
                                                             not_expected):
    card_with_intervals(tmp_path, settings, {"random": key, "source": key})
    text = methods_text(client)
    assert expected in text and not_expected not in text
    assert ECE_SPREAD[key] in text
    # No sentence may put the calibration error among the confidence intervals.
    assert not [sentence for sentence in text.split(". ")
                if "calibration error" in sentence and "not a confidence interval" not in sentence]
    assert "Random split" not in text  # one method for all: said once
    assert "are Wilson score intervals" in text  # the group shares, as before


def test_splits_with_different_interval_methods_say_it_per_split(client, tmp_path, settings):
    card_with_intervals(tmp_path, settings, {"random": "wilson+stratified-bootstrap", "source": None})
    text = methods_text(client)
    assert f"<strong>Random split:</strong> {RECOUNTED}" in text
    assert f"<strong>Source split:</strong> {STRATIFIED}" in text
    indonesian = methods_text(client, "id")
    assert "selang skor Wilson, yang dihitung dari matriks kebingungan" in indonesian
    assert "Rentang galat kalibrasi, yang diambil ulang dengan cara yang sama, hanyalah sebaran" in indonesian


@pytest.mark.parametrize(("language", "claim"), [
    ("en", "Not so for the calibration error: under it is only the spread of its bootstrap resamples"),
    ("id", "Tidak demikian untuk galat kalibrasi: di bawahnya hanya tercantum sebaran hasil bootstrap"),
])
def test_the_calibration_errors_range_is_not_called_a_confidence_interval(client, tmp_path, settings,
                                                                           language, claim):
    """The binned calibration error runs high and its bootstrap range with it (the statistics
    audit: on 752 images it never held the true error), so neither the measured-performance
    tables nor the out-of-source table may present that range as a 95% confidence interval."""
    from webapp.guide.tests.support import trust_section
    from webapp.guide.tests.test_trust_section import write_model

    card_with_intervals(tmp_path, settings, {"random": "wilson+bootstrap"})
    text = " ".join(unescape(page(client, language)).split())
    metrics = text[text.index('id="metrics"'):]
    assert claim in metrics[:metrics.index('id="interval-methods"')]
    (tmp_path / "trust").mkdir()
    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path / "trust", trust_section()))):
        text = " ".join(unescape(page(client, language)).split())
    note = {"en": "under the calibration error, only the spread of its bootstrap resamples, which can "
                  "lie wholly above the true error",
            "id": "di bawah galat kalibrasi, hanya sebaran hasil bootstrap (pengambilan ulang "
                  "sampel)-nya, yang bisa seluruhnya berada di atas galat yang sebenarnya"}[language]
    assert note in text


def test_the_dash_sentence_names_the_measures_the_tables_show_without_interval(client, tmp_path, settings):
    card_with_intervals(tmp_path, settings, {"random": "wilson+bootstrap"})
    text = methods_text(client)
    assert ("“—” means the card holds no interval for that value, as for: Log loss (negative "
            "log-likelihood, lower is better).") in text
    assert "after temperature scaling" not in text


def trust_caption(client, tmp_path, fit: dict, language: str = "en") -> str:
    from webapp.guide.tests.test_trust_section import write_model

    with override_settings(CXR_MODEL_DIR=str(write_model(tmp_path, None, fit))):
        html = page(client, language)
    start = html.index('class="card trust-plot"')
    return unescape(" ".join(html[start:html.index("</figcaption>", start)].split()))


def test_the_risk_coverage_caption_does_not_claim_every_line_falls(client, tmp_path):
    # On raddb the share right rose with coverage (0.24, 0.26, 0.32 at 10, 30, 100%).
    from webapp.guide.tests.test_trust_section import labels_nothing_fit

    fit = labels_nothing_fit()
    caption = trust_caption(client, tmp_path, fit)
    assert "its labels are right less often" not in caption
    assert "a flat or rising line means higher confidence did not mean more often right" in caption
    assert 'id="trust-confidence-ranks"' not in caption  # here the surest were right more often
    # The bundled fit: pooled area under the risk curve 0.669 against 0.675 for a random order.
    fit["measured"]["aurc"] = 0.669
    fit["measured"]["pooled"]["accuracy_all"]["value"] = 0.325
    (tmp_path / "again").mkdir()
    caption = trust_caption(client, tmp_path / "again", fit)
    assert "On these hospitals it never saw, higher confidence did not mean more often right" in caption
    (tmp_path / "id").mkdir()
    caption = trust_caption(client, tmp_path / "id", fit, "id")
    assert "keyakinan yang lebih tinggi tidak berarti lebih sering benar" in caption
    assert "lebih jarang benar" not in caption


@pytest.mark.parametrize(("language", "shown", "not_shown"), [
    ("en", ["“COVID-19” means", "a “Normal” result", "“Pneumonia (not COVID-19)”"], ["'covid'", "'normal'"]),
    # A card text without a translation stays English; its class names are the reader's labels.
    ("id", ["“COVID-19” means", "a “Normal” result", "“Pneumonia (bukan COVID-19)”"], ["'covid'", "'normal'"]),
])
def test_the_cards_limitations_name_classes_as_the_app_does(client, tmp_path, settings, language, shown,
                                                              not_shown):
    card = {"name": "cxr-3class", "version": "1", "classes": ["covid", "pneumonia", "normal"],
            "task": "3class", "input_size": 224, "metrics": {},
            "limitations": ["'covid' means 'looks like the COVID-positive X-rays of the training "
                            "collections'. Many people with COVID-19 have a normal chest X-ray: a "
                            "'normal' result does not rule it out.",
                            "It called most of them 'pneumonia'."]}
    (tmp_path / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    settings.CXR_MODEL_DIR = str(tmp_path)
    html = page(client, language)
    start = html.index('class="limitations"')
    limitations = unescape(html[start:html.index("</ul>", start)])
    for text in shown:
        assert text in limitations
    for text in not_shown:
        assert text not in limitations


def test_each_collection_has_one_name_across_the_pages_tables(client, settings):
    """The data tables name collections by download source (darkcovidnet), the out-of-source and
    guard tables by group (nih): both show the collection's own name, the key in brackets."""
    from webapp.guide.model_card import load_card

    settings.CXR_MODEL_DIR = ""  # the bundled model
    card = load_card()
    if card is None or card.trust_not_installed is None or card.verifier is None:
        pytest.skip("the bundled card lacks the tables")
    html = unescape(page(client))
    training = html[html.index('id="training-data"'):html.index("</table>", html.index('id="training-data"'))]
    assert "NIH ChestX-ray8 (darkcovidnet)" in training and "Kermany et al. (skytells)" in training
    trust = html[html.index('id="trust-table"'):html.index("</table>", html.index('id="trust-table"'))]
    assert '<th scope="row">NIH ChestX-ray8 (nih)' in trust and '<th scope="row">Kermany et al. (kermany)' in trust
    assert 'data-group="nih"' in trust
    sources = html[html.index('id="verifier-sources"'):html.index("</table>", html.index('id="verifier-sources"'))]
    assert '<th scope="row">NIH ChestX-ray8 (nih)' in sources
    per_source = html[html.index('id="split-patient"'):html.index("</article>", html.index('id="split-patient"'))]
    assert '<th scope="row">NIH ChestX-ray8 (darkcovidnet)</th>' in per_source
    assert '<th scope="row">COVID-19 Radiography Database (raddb)</th>' in per_source


def test_the_guide_uses_the_screening_apps_class_names_and_headlines(client):
    """One definition of class names, outcome titles and percentage text: the guide's pages say
    what the result they follow said."""
    from webapp.guide import card_tables, views
    from webapp.screening import outcomes

    assert views.CLASS_NAMES is outcomes.CLASS_NAMES and views.OUTCOMES is outcomes.HEADLINES
    assert not hasattr(card_tables, "percent_text")  # its own contract, its own name
    with translation.override("id"):
        assert card_tables.percent_number(0.925) == "92,5" and card_tables.percent_number(0.9) == "90"
    html = client.get(reverse("guide:next_steps", args=["covid"])).content.decode()
    assert f"Next steps: {outcomes.headline('covid')}</h1>" in html


def test_indonesian_uses_one_word_for_each_term():
    """Indonesian medical writing abbreviates the confidence interval "IK 95%" (interval
    kepercayaan), introduced once where the page first explains intervals; a collection is a
    "koleksi"; the macro recall is translated."""
    from webapp.guide.tests.test_translations import PO_FILE, read_po

    entries = read_po(PO_FILE)
    translated = {e["msgid"]: e["msgstr"][0] for e in entries}
    assert [m for m, t in translated.items() if "SK 95%" in t] == []
    assert [m for m, t in translated.items() if "collection" in m.lower() and "umpulan" in t] == []
    assert "Recall" not in translated["Recall (macro average)"]
    intro = next(t for m, t in translated.items() if m.startswith("These numbers are read from the model card"))
    assert "selang kepercayaan 95%%-nya, disingkat IK (interval kepercayaan)" in intro


def test_the_heads_description_is_in_the_readers_language(client, settings):
    settings.CXR_MODEL_DIR = ""  # the bundled model
    html = page(client, "id")
    assert "<dd>perataan global (global average pooling) + satu lapisan terhubung penuh" in html
    assert '<dd lang="en">global average pooling' not in html


@pytest.mark.parametrize(("language", "whisker", "title", "excuse"), [
    ("en", "each whisker is its bar's 95% interval",
     "The range beside the calibration error (ECE) in the title is only the spread of its bootstrap "
     "resamples, not a confidence interval.", "whatever the title calls it"),
    ("id", "tiap garis galat adalah IK 95% batangnya",
     "Rentang di samping galat kalibrasi (ECE) pada judul hanyalah sebaran hasil bootstrap-nya, bukan "
     "selang kepercayaan.", "apa pun sebutan judulnya")])
def test_the_reliability_caption_says_what_its_whiskers_are(client, model_dir, language, whisker, title,
                                                           excuse):
    """The card's reliability plot draws each bin's 95% interval (bins of one or two X-rays reach
    from near 0 to 1): the caption under it says what they are, and what the range beside the ECE
    in the title is. The bundled plot's title, redrawn, calls that range the bootstrap spread
    (tests/evaluation/test_plots.py): the caption no longer explains away a "95% CI" there."""
    html = " ".join(page(client, language).replace("&#x27;", "'").split())
    plots = html[html.index('id="plots"'):html.index("</section>", html.index('id="plots"'))]
    assert whisker in plots
    assert title in plots
    assert excuse not in plots


@pytest.mark.parametrize(("language", "said"), [
    ("en", "this count is not a test on new pictures"), ("id", "hitungan ini bukan uji dengan gambar baru")])
def test_the_negative_sets_count_says_the_verifier_was_fitted_on_it(client, model_dir, language, said):
    """"It refused 245 of 245 test pictures that are not chest X-rays" read as a test on unseen
    pictures, but the served chest X-ray verifier is fitted on that very set (its family
    'pictures'): the page says so where the card records it."""
    from cxr.inference.card import ModelCard

    card = ModelCard.load(model_dir)
    assert card.verifier and card.verifier.fitted_on["negatives"]["pictures"] == 245
    html = page(client, language)
    guard = html[html.index('id="negatives-fitted"'):]
    assert said in " ".join(guard[:600].split())
