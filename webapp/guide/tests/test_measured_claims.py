"""How it works says only what the card measured (an audit of the page against the project's own
measurements): the off-lung table names the fold models it came from and its conclusion follows
its numbers, the calibration step states what the temperature did, a temperature at the end of
its range is called out, the ECE rows say before or after temperature scaling, the intervals are
described by how they were computed, a test set of variants says it is one, and Dice is a score."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from cxr.inference.card import temperature_at_bound
from webapp.guide import card_tables

pytestmark = pytest.mark.django_db

BUNDLED_CARD = Path(__file__).resolve().parents[3] / "models" / "bundled" / "model_card.json"


def scalar(value, lo, hi, n=None):
    return {"value": value, "ci95": [lo, hi], **({"n": n} if n else {})}


def off_lungs(off, off_ci, on, on_ci, share=0.5, readings=200):
    return {"readings": readings, "off_lungs": scalar(share, share - 0.05, share + 0.05, readings),
            "accuracy_off_lungs": scalar(off, *off_ci, readings // 2),
            "accuracy_on_lungs": scalar(on, *on_ci, readings // 2)}


@pytest.fixture
def card_file(tmp_path):
    """The bundled card, copied so that a test can change it (without its plots)."""
    if not BUNDLED_CARD.is_file():
        pytest.skip("no bundled model card")
    card = json.loads(BUNDLED_CARD.read_text(encoding="utf-8"))
    card["plots"] = {}

    def write(change=None):
        data = json.loads(json.dumps(card))
        if change:
            change(data)
        (tmp_path / "model_card.json").write_text(json.dumps(data), encoding="utf-8")
        return data

    write()
    with override_settings(CXR_MODEL_DIR=str(tmp_path)):
        yield write


def page(client, language="en") -> str:
    client.cookies["django_language"] = language
    return " ".join(client.get(reverse("guide:how_it_works")).content.decode().split())


def part(html: str, element_id: str, end: str = "</p>") -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index(end, start)]


# --- 1. the off-lung table: which fold models, and a conclusion from its numbers ------------------

def test_the_off_lung_conclusion_follows_the_numbers(client, card_file):
    def set_groups(card):
        card["lung_field"]["out_of_source"]["by_group"] = {
            "alpha": off_lungs(0.1, (0.05, 0.2), 0.6, (0.5, 0.7)),    # clearly worse off the lungs
            "beta": off_lungs(0.7, (0.6, 0.8), 0.3, (0.2, 0.4)),      # clearly better
            "gamma": off_lungs(0.5, (0.4, 0.6), 0.45, (0.35, 0.55)),  # intervals overlap
        }

    card_file(set_groups)
    verdict = part(page(client), "off-lungs-verdict")
    assert "only for the children's X-rays" not in verdict
    assert "Clearly less often right when off the lungs: alpha." in verdict
    assert "Clearly more often right when off the lungs: beta." in verdict
    assert "No clear difference: gamma." in verdict
    card_file(lambda card: card["lung_field"]["out_of_source"].update(
        by_group={"alpha": off_lungs(0.5, (0.4, 0.6), 0.45, (0.35, 0.55))}))
    verdict = part(page(client), "off-lungs-verdict")
    assert "Clearly" not in verdict and "No clear difference: alpha." in verdict
    verdict_id = part(page(client, "id"), "off-lungs-verdict")
    assert "Tanpa perbedaan yang jelas: alpha." in verdict_id


def test_the_bundled_off_lung_verdict_matches_its_intervals(client, card_file):
    oos = json.loads(BUNDLED_CARD.read_text(encoding="utf-8"))["lung_field"]["out_of_source"]
    verdict = part(page(client), "off-lungs-verdict")
    for name, group in oos["by_group"].items():
        off, on = group["accuracy_off_lungs"]["ci95"], group["accuracy_on_lungs"]["ci95"]
        phrase = ("Clearly less often right when off the lungs:" if off[1] < on[0] else
                  "Clearly more often right when off the lungs:" if off[0] > on[1] else "No clear difference:")
        sentence = verdict[verdict.index(phrase) + len(phrase):]
        # Up to the next sentence (group names such as "Cohen et al. (cohen)" hold dots).
        ends = [sentence.index(s) for s in ("Clearly", "No clear", "So the warning") if s in sentence]
        assert f"({name})" in sentence[:min(ends, default=len(sentence))], (name, verdict)


def test_off_lung_readings_of_other_fold_models_say_so(client, card_file):
    """The card's off-lung table came from 128 px fold models, the installed model reads 224 px:
    the page says which models measured it, as the out-of-source section does for its own."""
    card = card_file(lambda card: card["lung_field"]["out_of_source"]["protocol"].update(
        image_size=128, arch="EfficientNet-Lite0"))
    assert card["input_size"] == 224
    html = page(client)
    recipe = part(html, "off-lungs-recipe")
    assert "alert" in recipe and "EfficientNet-Lite0, 128 × 128 px" in recipe
    assert "image size 128 px (224 px)" in recipe
    assert "not the models of the out-of-source measurement above" in recipe
    assert "ukuran gambar 128 px (224 px)" in part(page(client, "id"), "off-lungs-recipe")
    card_file(lambda card: card["lung_field"]["out_of_source"]["protocol"].update(image_size=224))
    recipe = part(page(client), "off-lungs-recipe")
    assert "alert" not in recipe and "trained like the installed one (EfficientNet-Lite0, 224 × 224 px)" in recipe


# --- 2. the calibration step: what the temperature did ---------------------------------------------

def test_the_calibration_step_states_what_the_temperature_did(client, card_file):
    card = card_file()
    step = part(page(client), "method-calibration", "</li>")
    assert 'rescales them so that "80%" is right' not in step
    said = f"{round(card['temperature'], 3):.3f}".rstrip("0").rstrip(".")  # no trailing zeros
    assert f"For the installed model it is {said}" in step
    assert (f"on validation images was {card['ece_before']:.3f} before and {card['ece_after']:.3f} after it."
            in step)
    test = card["calibration"]
    assert f"On test images: {test['test_ece_before']:.3f} before and {test['test_ece_after']:.3f} after." in step
    assert "So here it did not lower the error." in step  # 0.012 -> 0.013, 0.019 -> 0.021
    card_file(lambda c: (c.update(temperature=1.6, ece_before=0.06, ece_after=0.02),
                         c["calibration"].update(test_ece_before=0.07, test_ece_after=0.03)))
    step = part(page(client), "method-calibration", "</li>")
    assert "For the installed model it is 1.6 " in step and "So it lowered the error on these images." in step
    assert "Untuk model yang terpasang nilainya 1,6 " in part(page(client, "id"), "method-calibration", "</li>")


def test_the_calibration_step_says_further_off_only_where_measured(client, card_file):
    card = card_file()
    assert card["metrics"]["source"]["ece_after_temperature"] > card["ece_after"]
    step = part(page(client), "method-calibration", "</li>")
    assert "On X-rays from hospitals the model never saw, the probabilities are further off" in step
    card_file(lambda c: c["metrics"].pop("source"))
    step = part(page(client), "method-calibration", "</li>")
    assert "further off" not in step and "was not measured for this model" in step


# --- 3. a temperature at the end of its range -------------------------------------------------------

def test_a_temperature_at_the_end_of_its_range_is_called_out(client, card_file):
    card = card_file()
    fit = card["trust_not_installed"]
    assert temperature_at_bound(fit["temperature"])
    note = part(page(client), "trust-temperature-bound")
    pooled = fit["measured"]["pooled"]
    assert f"got {round(100 * pooled['mean_max_probability'], 1)}% on average" in note
    assert "close to the 33.3% of a blind guess" in note
    assert f"right ({round(100 * pooled['accuracy_all']['value'], 1)}%)" in note
    assert "not that they are informative" in note
    assert "mentok di batas rentang pencariannya" in part(page(client, "id"), "trust-temperature-bound")
    # A whole number reads as one: "20.000" (English) or "20,000" (Indonesian) read as twenty thousand.
    assert round(fit["temperature"], 3) == 20
    for language in ("en", "id"):
        said = part(page(client, language), "trust-temperature-bound")
        assert "(20)" in said and "20.000" not in said and "20,000" not in said
    card_file(lambda c: c["trust_not_installed"].update(temperature=1.4))
    assert 'id="trust-temperature-bound"' not in page(client)


@pytest.mark.parametrize(("temperature", "at_bound"), [(19.9999, True), (20.0, True), (0.05, True),
                                                        (1.019, False), (12.0, False), (None, False)])
def test_temperature_at_bound_reads_the_range_of_the_fit(temperature, at_bound):
    assert card_tables.temperature_at_bound(temperature) is at_bound


# --- 4. calibration error before or after temperature scaling ---------------------------------------

def test_each_calibration_error_row_says_before_or_after_temperature(client, card_file):
    card = card_file()
    html = page(client)
    for split in ("patient", "random", "source"):
        table = part(html, f"split-{split}", "</article>")
        assert "<th scope=\"row\">Calibration error (ECE, lower is better)</th>" not in table, split
        assert "Calibration error before temperature scaling (ECE, lower is better)" in table, split
    patient = part(html, "split-patient", "</article>")
    assert "Calibration error as served, after temperature scaling (ECE, lower is better)" in patient
    before = patient[patient.index("Calibration error before temperature scaling"):]
    assert f"<td>{card['calibration']['test_ece_before']:.3f}<br>" in before[:200]
    source = part(html, "split-source", "</article>")
    before = source[source.index("Calibration error before temperature scaling"):]
    assert f"<td>{card['metrics']['source']['ece']['value']:.3f}<br>" in before[:200]
    after = source[source.index("Calibration error after temperature scaling"):]
    assert f"<td>{card['metrics']['source']['ece_after_temperature']:.3f}<br>" in after[:200]
    assert "Galat kalibrasi sebelum penskalaan temperatur" in page(client, "id")


# --- 5. how the intervals were computed, and those the card has -------------------------------------

def test_the_intervals_are_described_by_how_they_were_computed(client, card_file):
    card = card_file()
    html = page(client)
    metrics = html[html.index('id="metrics"'):]
    assert "Each comes with a 95% confidence interval (from bootstrap resampling" not in metrics
    methods = part(html, "interval-methods")
    assert "bootstrap" in methods and "Wilson score intervals" in methods
    guard = card["verifier"]["served_guard_patient_split_test"]
    low, high = (round(100 * x, 1) for x in guard["ci95"])
    assert (f"by mistake ({round(100 * guard['value'], 1)}%, 95% CI {low}% – {high}%)." in metrics)
    assert "selang skor Wilson" in page(client, "id")


# --- 6. a test set of variants of a few images ------------------------------------------------------

def test_pictures_made_from_a_few_images_say_their_interval_is_too_narrow(client, card_file):
    card = card_file()
    negatives = card["ood"]["negative_set"]
    html = page(client)
    note = part(html, "pictures-note")
    assert (f"the {negatives['n']} pictures are crops, grey, rotated, inverted and JPEG variants of "
            f"{negatives['distinct_base_images']} distinct images") in note
    assert "too narrow" in note
    # Every picture refused, so every one of the 31 images: Wilson over 31 of 31.
    assert "the 95% CI is 89.0% – 100.0%" in note
    assert "the 95% CI is 89.0% – 100.0%" in part(html, "negative-distinct-ci", "</span>")
    assert "gambar berbeda" in part(page(client, "id"), "pictures-note")
    card_file(lambda c: c["verifier"]["families_left_out"]["pictures"]["whole_guard"].update(value=0.98))
    note = part(page(client), "pictures-note")
    assert "too narrow" in note and "89.0%" not in note


# --- 7. Dice is a score -----------------------------------------------------------------------------

def test_dice_is_shown_as_a_score_not_a_percentage(client, card_file):
    card = card_file()
    table = part(page(client), "lung-dice", "</table>")
    for summary in card["lung_field"]["held_out"].values():
        dice = summary["mean_dice"]["value"]
        assert f"<td>{dice:.3f}" in table and f"{100 * dice:.1f}%" not in table


def test_the_page_renders_without_lung_field_or_calibration(client, card_file):
    card_file(lambda c: [c.pop(key) for key in ("lung_field", "calibration", "trust_not_installed")])
    html = page(client)
    assert 'id="off-lungs-verdict"' not in html and 'id="trust-temperature-bound"' not in html
    assert "On test images:" not in part(html, "method-calibration", "</li>")
