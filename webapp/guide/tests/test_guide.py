"""Next-steps pages and the public how-it-works page, which reads the installed model card."""
import io
import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from webapp.guide import card_tables
from webapp.guide.views import OUTCOMES

pytestmark = pytest.mark.django_db


def scalar(value, lo, hi):
    return {"value": value, "ci95": [lo, hi]}


def report(accuracy, n, sources):
    """A test-split report shaped like cxr.evaluation.metrics.classification_report's (plus per_source)."""
    classes = ["covid", "pneumonia", "normal"]
    per_class = {
        "covid": {"sensitivity": scalar(0.912, 0.874, 0.945), "specificity": scalar(0.981, 0.969, 0.99),
                  "ppv": scalar(0.947, 0.917, 0.972), "auc": scalar(0.9874, 0.979, 0.9941)},
        "pneumonia": {"sensitivity": scalar(0.804, 0.7, 0.9), "specificity": scalar(0.99, 0.982, 0.996),
                      "ppv": scalar(0.82, 0.71, 0.91), "auc": scalar(0.9712, 0.95, 0.988)},
        "normal": {"sensitivity": scalar(0.975, 0.962, 0.986), "specificity": scalar(0.93, 0.9, 0.955),
                   "ppv": scalar(0.972, 0.96, 0.982), "auc": scalar(0.9801, 0.97, 0.988)},
    }
    return {
        "n": n, "classes": classes, "support": {"covid": 180, "pneumonia": 51, "normal": 521},
        "accuracy": scalar(accuracy, accuracy - 0.02, accuracy + 0.015),
        "precision": {"macro": scalar(0.913, 0.88, 0.94), "per_class": {c: per_class[c]["ppv"] for c in classes}},
        "recall": {"macro": scalar(0.897, 0.86, 0.93), "per_class": {c: per_class[c]["sensitivity"] for c in classes}},
        "per_class": per_class,
        "macro_auc": scalar(0.9796, 0.971, 0.987),
        "ece": scalar(0.0213, 0.012, 0.034),
        "confusion_matrix": [[164, 3, 13], [2, 41, 8], [7, 6, 508]],
        "per_source": {s: {"n": k, "accuracy": scalar(a, a - 0.05, min(1.0, a + 0.03))} for s, k, a in sources},
        "n_boot": 1000, "seed": 0, "subset": "test",
    }


@pytest.fixture
def model_dir(tmp_path):
    card = {
        "name": "cxr-3class-tf_efficientnet_lite0", "version": "2026-11-20+abc1234",
        "classes": ["covid", "pneumonia", "normal"], "task": "3class", "input_size": 224,
        "temperature": 1.734, "ece_before": 0.0612, "ece_after": 0.0187,
        "architecture": {"name": "EfficientNet-Lite0", "timm_name": "tf_efficientnet_lite0",
                         "head": "global average pooling + one dense layer"},
        "training": {"data": {"sources": {"raddb": 6559, "cohen": 106}, "train": {"covid": 1435, "normal": 4171}},
                     "split": {"name": "random", "seed": 0},
                     "command": "python -m cxr train --arch EfficientNet-Lite0 --lr 0.001",
                     "date": "2026-11-20T04:00:00+00:00", "code_version": "abc1234"},
        "ood": {"threshold": 41.2, "false_refusal_rate_test": 0.021, "negative_refusal_rate": 0.97},
        "metrics": {
            "random": report(0.9427, 752, [("raddb", 656, 0.961), ("cohen", 11, 0.727)]),
            "source": report(0.6812, 138, [("darkcovidnet", 138, 0.681)]),
        },
        "limitations": ["This is a screening aid, not a diagnosis. A clinician and an RT-PCR test decide.",
                        "Only frontal (PA/AP) chest radiographs are in scope."],
        "plots": {"roc": "roc_test.png", "reliability": "reliability_test.png"},
    }
    (tmp_path / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    for name, colour in (("roc_test.png", "navy"), ("reliability_test.png", "teal")):
        Image.new("RGB", (60, 40), colour).save(tmp_path / name)
    (tmp_path / "ood.npz").write_bytes(b"not for the public")
    (tmp_path / "unlisted.png").write_bytes((tmp_path / "roc_test.png").read_bytes())
    with override_settings(CXR_MODEL_DIR=str(tmp_path)):
        yield tmp_path


def test_how_it_works_is_public_and_shows_the_card(client, model_dir):
    response = client.get(reverse("guide:how_it_works"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-11-20+abc1234" in html and "EfficientNet-Lite0" in html
    # The method in plain words.
    assert "ImageNet" in html and "global average pooling" in html and "class activation maps" in html
    # Both splits, their metrics and 95% intervals, as the card states them.
    assert "Random split" in html and "Source split" in html
    assert "94.3%" in html and "92.3% – 95.8%" in html      # random accuracy and its CI
    assert "68.1%" in html and "66.1% – 69.6%" in html      # source accuracy: the shortcut gap
    assert "0.980" in html and "0.971 – 0.987" in html      # macro AUC
    assert "91.2%" in html and "87.4% – 94.5%" in html      # covid sensitivity
    assert "752 test images" in html and "138 test images" in html
    assert ">508</td>" in html                              # confusion matrix cell
    assert "cohen" in html and "72.7%" in html              # per-source accuracy
    assert "0.061" in html and "0.019" in html               # ECE before / after
    assert "2.1%" in html and "97.0%" in html                # guard refusal rates
    assert "raddb 6,559, cohen 106" in html                  # training data from the card
    assert 'id="no-source-split"' not in html
    assert "Only frontal (PA/AP) chest radiographs are in scope." in html
    assert "shortcut" in html.lower()
    assert reverse("guide:model_plot", args=["roc_test.png"]) in html
    assert "<script>" not in html
    # The training date as the site writes dates, not the card's ISO string; the head's
    # description in the reader's language.
    assert '<time datetime="2026-11-20T04:00:00+00:00">Nov. 20, 2026, 4 a.m. UTC</time>' in html
    assert '<dd>global average pooling + one dense layer</dd>' in html


def test_each_plot_says_how_to_read_it_in_the_readers_language(client, model_dir):
    # The PNGs' axis labels are English; the caption carries the axes in the page's language.
    html = client.get(reverse("guide:how_it_works")).content.decode()
    plots = html[html.index('id="plots"'):]
    assert "Across: the share of X-rays without the class" in plots        # ROC
    assert "Across: how sure the model was of the class it named" in plots  # reliability
    client.cookies["django_language"] = "id"
    plots = client.get(reverse("guide:how_it_works")).content.decode()
    plots = plots[plots.index('id="plots"'):]
    assert "Mendatar: bagian foto rontgen tanpa kelas itu" in plots
    assert "Mendatar: seberapa yakin model" in plots
    assert "Across:" not in plots


def test_each_plot_link_says_it_opens_the_plot_full_size(client, model_dir):
    # The picture is the link's only content, so its alt text is the link's name; the caption
    # under it already gives the title, so the name says what following the link does.
    html = client.get(reverse("guide:how_it_works")).content.decode()
    url = reverse("guide:model_plot", args=["roc_test.png"])
    assert f'<img src="{url}" alt="ROC curves on the test images (one curve per class), full size">' in html
    client.cookies["django_language"] = "id"
    html = client.get(reverse("guide:how_it_works")).content.decode()
    assert f'<img src="{url}" alt="Kurva ROC pada gambar uji (satu kurva per kelas), ukuran penuh">' in html


def test_readers_of_another_language_are_told_the_plots_words_are_english(client, model_dir):
    """The PNGs are files of the model folder, drawn at export in English from numbers the card
    does not keep: the page cannot redraw them, so it says so where the reader meets them."""
    html = client.get(reverse("guide:how_it_works")).content.decode()
    plots = html[html.index('id="plots"'):html.index("</section>", html.index('id="plots"'))]
    assert "plot-in-english" not in plots  # an English reader needs no note
    client.cookies["django_language"] = "id"
    html = client.get(reverse("guide:how_it_works")).content.decode()
    plots = html[html.index('id="plots"'):html.index("</section>", html.index('id="plots"'))]
    assert ("Tulisan di dalam gambar-gambar ini berbahasa Inggris: gambar dibuat sekali, saat model "
            "diekspor. Keterangan di bawah setiap gambar menjelaskan arti sumbunya.") in plots


def test_a_card_without_a_source_split_says_the_shortcut_risk_is_unmeasured(client, model_dir):
    card = json.loads((model_dir / "model_card.json").read_text())
    card["metrics"] = {"patient": card["metrics"]["random"]}
    (model_dir / "model_card.json").write_text(json.dumps(card))
    html = client.get(reverse("guide:how_it_works")).content.decode()
    assert "Patient split" in html and "Source split" not in html
    assert 'id="no-source-split"' in html


def test_plots_listed_in_the_card_are_served(client, model_dir):
    response = client.get(reverse("guide:model_plot", args=["reliability_test.png"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (60, 40)


@pytest.mark.parametrize("name", ["ood.npz", "model_card.json", "unlisted.png", "../model_card.json",
                                  "missing.png"])
def test_other_files_of_the_model_directory_are_not_served(client, model_dir, name):
    assert client.get(f"/how-it-works/plots/{name}").status_code == 404


def test_a_listed_plot_outside_the_model_directory_is_refused(client, model_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    Image.new("RGB", (5, 5)).save(outside / "secret.png")
    card = json.loads((model_dir / "model_card.json").read_text())
    card["plots"]["evil"] = f"../{outside.name}/secret.png"
    (model_dir / "model_card.json").write_text(json.dumps(card))
    assert client.get(f"/how-it-works/plots/../{outside.name}/secret.png").status_code == 404


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_without_a_readable_card_the_page_says_no_model(client, tmp_path, content):
    if content is not None:
        (tmp_path / "model_card.json").write_text(content, encoding="utf-8")
    with override_settings(CXR_MODEL_DIR=str(tmp_path)):
        response = client.get(reverse("guide:how_it_works"))
        assert client.get(reverse("guide:model_plot", args=["roc_test.png"])).status_code == 404
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="no-model"' in html and "No model is installed." in html
    assert "ImageNet" in html  # the method is explained anyway


@pytest.mark.parametrize("args", [[], ["covid"], ["refused"]])
def test_next_steps_are_open_to_visitors(client, args):
    """A worried person reads what to do before making an account (issue 17, item 1)."""
    response = client.get(reverse("guide:next_steps", args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Get help now if you have any of these warning signs" in html
    assert 'href="/hospitals/"' in html


def test_the_english_sources_are_marked_english_on_the_indonesian_page(client):
    """A screen reader reads an Indonesian page with Indonesian voice rules; the WHO titles are
    English and say so, or they are read out garbled."""
    import re

    html = client.get(reverse("guide:next_steps"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert '<html lang="id">' in html
    links = re.findall(r'<a href="https://www\.who\.int/[^"]*"([^>]*)>', html)
    assert len(links) == 4 and all('lang="en"' in attributes for attributes in links)


def test_next_steps_overview_links_every_outcome(client):
    html = client.get(reverse("guide:next_steps")).content.decode()
    for outcome in OUTCOMES:
        assert f'href="/next-steps/{outcome}/"' in html
    assert 'href="/hospitals/"' in html
    assert "not medical advice" in html and "Home care for patients with suspected or confirmed COVID-19" in html


@pytest.mark.parametrize(("outcome", "phrase"), [
    ("covid", "Get tested for COVID-19 as soon as you can"),
    ("pneumonia", "Take antibiotics only when a doctor prescribes them"),
    ("normal", "this result cannot rule out pneumonia or COVID-19"),
    ("uncertain", "could not tell with confidence"),
    ("refused", "does not look like a frontal chest X-ray"),
])
def test_each_outcome_has_its_own_advice(patient_client, outcome, phrase):
    response = patient_client.get(reverse("guide:next_steps", args=[outcome]))
    assert response.status_code == 200
    html = response.content.decode()
    assert phrase in html
    assert "Get help now if you have any of these warning signs" in html
    assert 'href="/hospitals/"' in html
    assert ("Protect the people around you" in html) == (outcome != "refused")


def test_a_normal_result_is_not_worded_as_relief(patient_client):
    # On X-rays from hospitals it never saw, the model called 245 of 268 adults with pneumonia
    # "normal": the page may not reassure, nor say that no action is needed.
    html = patient_client.get(reverse("guide:next_steps", args=["normal"])).content.decode()
    assert "reassuring" not in html and "no further action" not in html
    assert "called many pneumonia X-rays “normal”" in html
    assert "Watch for warning signs" in html


def test_unknown_outcome_is_not_found(patient_client):
    assert patient_client.get("/next-steps/flu/").status_code == 404


def test_guide_covers_every_screening_outcome():
    from webapp.screening.models import OUTCOMES as SCREENING_OUTCOMES

    assert set(SCREENING_OUTCOMES) == set(OUTCOMES)


def test_the_bundled_model_card_renders(client, settings):
    """The real card shipped in models/bundled (skipped until a model is bundled)."""
    from webapp.guide.model_card import load_card, model_dir

    settings.CXR_MODEL_DIR = ""
    card = load_card()
    if card is None:
        pytest.skip(f"no bundled model card at {model_dir()}")
    html = client.get(reverse("guide:how_it_works")).content.decode()
    assert str(card.version) in html
    for split, report in card.metrics.items():
        assert f'id="split-{split}"' in html
        # Every number of the real card has a readable name, not its JSON key.
        unnamed = {key for key, value in report.items() if card_tables.is_scalar(value)
                   and key not in card_tables.NOT_METRICS and key not in card_tables.METRIC_NAMES}
        assert not unnamed, f"metrics.{split} has no display name for {unnamed}"
    for relative in card.plots.values():
        response = client.get(reverse("guide:model_plot", args=[relative]))
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    from webapp.screening.engine_text import with_class_names

    for text in card.limitations:  # with the classes named as the app names them
        assert escape(with_class_names(text)) in html


def test_the_training_data_table_names_subsets_and_classes_in_the_readers_language(client, settings):
    """The card's training data ({subset: {n, by_label, by_source}}) as a table of subsets, not
    its JSON keys ("train › by label")."""
    settings.CXR_MODEL_DIR = ""
    from webapp.guide.model_card import load_card

    card = load_card()
    if card is None or not card.training or "train" not in (card.training.data or {}):
        pytest.skip("no bundled card with training data by subset")
    train = card.training.data["train"]
    for language, subset, covid in (("en", "Training", "COVID-19"), ("id", "Pelatihan", "COVID-19")):
        html = client.get(reverse("guide:how_it_works"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        table = html[html.index('id="training-data"'):]
        table = table[:table.index("</table>")]
        assert "›" not in table and "by label" not in table and "by_label" not in table
        row = table[table.index(f'<th scope="row">{subset}</th>'):]
        row = row[:row.index("</tr>")]
        n = f"{train['n']:,}".replace(",", "," if language == "en" else ".")
        covid_count = f"{train['by_label']['covid']:,}".replace(",", "," if language == "en" else ".")
        assert f">{n}<" in row and f"{covid} {covid_count}" in row, row


def test_the_bundled_cards_limitations_are_translated(client, settings):
    """The card's limitations carry codes (cxr.export.bundle.with_limitations): Indonesian readers get
    them in Indonesian, not under a note that the card is written in English."""
    from django.utils import translation

    from webapp.guide.model_card import load_card, model_dir
    from webapp.screening import engine_text
    from webapp.screening.engine_text import with_class_names

    settings.CXR_MODEL_DIR = ""
    card = load_card()
    if card is None:
        pytest.skip(f"no bundled model card at {model_dir()}")
    assert len(card.limitation_notices) == len(card.limitations)
    client.cookies["django_language"] = "id"
    html = client.get(reverse("guide:how_it_works")).content.decode()
    with translation.override("id"):
        indonesian, still_english = engine_text.card_limitations(card)
        intended_use = engine_text.card_intended_use(card)
    assert not still_english
    for english, translated in zip(card.limitations, indonesian, strict=True):
        assert translated != english
        with translation.override("id"):
            assert escape(with_class_names(translated)) in html and escape(english) not in html
    assert "Alat bantu skrining yang memilah foto rontgen dada" in intended_use
    assert escape(intended_use) in html
    with translation.override("id"):
        assert translation.gettext("The model card is written in English.") not in html



def test_the_bundled_cards_calibration_limit_states_the_error_measured_on_unseen_collections(
        client, settings):
    """Not "may be over-confident": the card measured how far off its stated confidence was on
    collections it never saw, and its limits say so, in either language."""
    from webapp.guide.model_card import load_card, model_dir

    settings.CXR_MODEL_DIR = ""
    card = load_card()
    if card is None or "source" not in card.metrics:
        pytest.skip(f"no bundled model card with a source split at {model_dir()}")
    points = round(100 * card.metrics["source"]["ece_after_temperature"])
    for language, phrase in (("en", f"was off by {points} percentage points on average"),
                             ("id", f"meleset rata-rata {points} poin persentase")):
        html = client.get(reverse("guide:how_it_works"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        limits = html[html.index('id="limitations"'):]
        assert phrase in limits
        assert "may be over-confident" not in limits and "bisa terlalu yakin" not in limits


def test_how_it_works_states_what_the_whole_served_guard_refuses(client, model_dir):
    """The guard's false refusals of real test X-rays are those of every served check (orientation,
    verifier...) where the card measured them, not the feature guard's own count."""
    card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
    # The feature guard's (nothing else measured); this card has no count, so a rate alone.
    assert "The guard refused 2.1% of real test X-rays by mistake." in client.get(
        reverse("guide:how_it_works")).content.decode()
    card["verifier"] = {"threshold": 0.8, "served_guard_patient_split_test": {
        "value": 8 / 752, "ci95": [0.0054, 0.0209], "n": 752}}
    (model_dir / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    html = client.get(reverse("guide:how_it_works")).content.decode()
    assert "The guard refused 8 of 752 real test X-rays by mistake (1.1%, 95% CI 0.5% – 2.1%)." in html
    assert "The guard refused 2.1%" not in html


def test_the_guards_test_counts_say_how_small_the_test_was(client, model_dir):
    """"100.0%" of pictures that are not chest X-rays, from a few dozen distinct images, is a small
    test: the page gives the counts beside the rates."""
    card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
    card["ood"].update(test_images=752, false_refusal_rate_test=1 / 752, negative_refusal_rate=1.0,
                       negative_set={"n": 245, "distinct_base_images": 31})
    (model_dir / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    html = " ".join(client.get(reverse("guide:how_it_works")).content.decode().split())
    # No interval in the card for the feature guard's own count: the Wilson interval of it.
    assert "The guard refused 1 of 752 real test X-rays by mistake (0.1%, 95% CI 0.0% – 0.7%)." in html
    assert ("It refused 245 of 245 test pictures that are not chest X-rays (100.0%), made from 31 "
            "distinct images: a small test.") in html
    client.cookies["django_language"] = "id"
    indonesian = " ".join(client.get(reverse("guide:how_it_works")).content.decode().split())
    assert "1 dari 752" in indonesian and "31 gambar berbeda" in indonesian


def test_the_calibration_step_says_it_does_not_hold_on_unseen_hospitals(client):
    """How it works explained the temperature as making "80%" right 80% of the time, and said
    nothing of the hospitals it never saw, where the card measured it far off."""
    for language, words in (("en", "On X-rays from hospitals the model never saw, the probabilities are further off"),
                            ("id", "Pada foto rontgen dari rumah sakit yang tidak pernah dilihat model, probabilitasnya lebih meleset")):
        client.cookies["django_language"] = language
        page = client.get(reverse("guide:how_it_works")).content.decode()
        assert words in page


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_table_header_cell_on_how_it_works_names_its_column(client, language):
    """An empty corner header reads as nothing to a screen reader (axe: empty-table-header); on
    the bundled card, which fills every table."""
    import re

    client.cookies["django_language"] = language
    html = client.get(reverse("guide:how_it_works")).content.decode()
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", html, flags=re.S)
    assert headers and all(re.sub(r"<[^>]+>", "", cell).strip() for cell in headers)


@pytest.mark.parametrize("language, counts", [
    ("en", ["1,234 test images", "The guard refused 30 of 1,500 real test X-rays"]),
    ("id", ["1.234 gambar uji", "Penyaring keliru menolak 30 dari 1.500 foto rontgen uji"]),
])
def test_the_cards_long_counts_are_grouped_as_the_reader_writes_them(client, model_dir, language,
                                                                      counts):
    """A card of a model tested on thousands of images: "1234 test images" is hard to read, and
    on an Indonesian page 1.234 is how a thousand and more is written."""
    card = json.loads((model_dir / "model_card.json").read_text())
    card["metrics"]["random"]["n"] = 1234
    card["ood"].update(test_images=1500, false_refusal_rate_test=0.02)
    (model_dir / "model_card.json").write_text(json.dumps(card))
    client.cookies.load({"django_language": language})
    html = client.get(reverse("guide:how_it_works")).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert all(words in text for words in counts), [w for w in counts if w not in text]
    assert not re.search(r"\b1234\b|\b1500\b", text)  # not "abc1234", the code version
