"""The site check form says what a card without an out-of-source fit is compared with: "the 94.9%
(95% CI 93.4% – 96.4%) the card measured on ...". A card whose accuracy has no interval read "with
the 94.9% (95% CI ) the card measured" (an audit of the staff pages): the figure alone now."""
from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.django_db

URL = "/screening/site-validation/"


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_card_figure_without_an_interval_is_given_without_an_empty_one(admin_client, settings, tmp_path, language):
    from webapp.screening import engine

    model = tmp_path / "model"
    shutil.copytree(engine.configured_model_dir(), model)
    card = json.loads((model / "model_card.json").read_text())
    card.pop("trust", None)
    card["metrics"] = {"patient": {"n": 752, "accuracy": {"value": 0.949468}}}  # no ci95
    (model / "model_card.json").write_text(json.dumps(card))
    settings.CXR_MODEL_DIR = str(model)
    engine._loaded.clear()
    try:
        admin_client.cookies["django_language"] = language
        html = admin_client.get(URL).content.decode().replace("&#x27;", "'")
    finally:
        engine._loaded.clear()
    start = html.index('data-testid="card-basis"')
    note = " ".join(html[start:html.index("</div>", start)].split())
    if language == "en":
        assert "with the 94.9% the card measured on new patients of the collections it was trained on" in note
    else:
        assert "dengan 94,9% yang diukur kartu pada pasien baru" in note
    assert "CI )" not in note and "95% )" not in note and "()" not in note
