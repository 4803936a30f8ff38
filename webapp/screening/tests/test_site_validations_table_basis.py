"""The table of stored site checks (How it works, and the site check page) showed a verdict beside
the labelled readings' accuracy, though a card without an out-of-source fit is judged by the most
likely class of every read X-ray: "Not validated | 40 | 88.9% (74.7-95.6) | 90.0%" with nothing
saying the verdict rested on 80.0% against the card's 94.9% (an audit of the guide). The row now
gives the figure the verdict compared, with its interval, and the share labelled with its own."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from django.urls import reverse

from cxr.inference.site_check import SiteCase, site_report
from webapp.screening.models import SiteValidation

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]
CLASSES = ["covid", "pneumonia", "normal"]

EXPECTED = {
    "en": ("Most likely class right 80.0% (95% CI 65.2% – 89.5%), against the card's 94.9%", "90.0%",
           "76.9% – 96.0%"),
    "id": ("Kelas paling mungkin benar 80,0% (IK 95% 65,2% – 89,5%), dibandingkan dengan 94,9% pada kartu",
           "90,0%", "76,9% – 96,0%"),
}


def _case(truth: str, top: str, label: str | None) -> SiteCase:
    return SiteCase(truth, label, False, {c: (0.8 if c == top else 0.1) for c in CLASSES}, None)


def _stored(admin) -> SiteValidation:
    from cxr.inference.card import ModelCard
    from cxr.inference.site_check import card_figures

    path = REPO / "models" / "bundled" / "model_card.json"
    if not path.is_file():
        pytest.skip("no bundled model card")
    figures = card_figures(ModelCard.from_dict(json.loads(path.read_text())))
    # 36 of 40 labelled (32 right), 4 unlabelled: most likely class right 32 of 40.
    cases = ([_case("covid", "covid", "covid")] * 32 + [_case("normal", "covid", "covid")] * 4
             + [_case("normal", "covid", None)] * 4)
    report = site_report(cases, CLASSES, **figures)
    assert report["verdict"]["params"]["measure"] == "top_class_accuracy"
    return SiteValidation.objects.create(
        run_by=admin, model_version="bundled", cases=40, read=40, report=report,
        verdict_code=report["verdict"]["code"], verdict_text=report["verdict"]["text"])


@pytest.mark.parametrize("page", ["guide:how_it_works", "screening:site_validation"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_stored_check_shows_the_figure_its_verdict_rests_on(page, language, admin_client):
    validation = _stored(admin_client.admin)
    admin_client.cookies["django_language"] = language
    text = html.unescape(admin_client.get(reverse(page)).content.decode()).replace("&#x27;", "'")
    start = text.index(f'data-verdict="{validation.verdict_code}"')
    row = " ".join(text[start:text.index("</tr>", start)].split())
    basis, share, share_ci = EXPECTED[language]
    assert basis in row
    assert share in row and share_ci in row  # the share labelled, with its interval
