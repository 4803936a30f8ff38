"""A model card `trust` section shaped exactly as `python -m cxr trust` writes it (keys and nesting
copied from a real fit of tiny models on ../shared; numbers chosen to look like a real model's),
a risk-coverage plot drawn by cxr.evaluation.plots.plot_risk_coverage (data/), and How it works
opened in a browser of a given size and language (`open_how_it_works`)."""
from __future__ import annotations

from pathlib import Path

RISK_COVERAGE_PNG = Path(__file__).resolve().parent / "data" / "risk_coverage.png"
GROUPS = {"cohen": ["cohen"], "kermany": ["skytells", "zargari"], "nih": ["darkcovidnet"], "raddb": ["raddb"]}


def proportion(value: float | None, lo: float | None, hi: float | None, n: int) -> dict:
    return {"value": value, "ci95": [None if lo is None else max(0.0, lo), hi], "n": n}


def measured(images, coverage, accuracy, ece, set_coverage, size, familiar, unfamiliar) -> dict:
    labelled = round(images * coverage)
    return {
        "images": images,
        "coverage": proportion(coverage, coverage - 0.03, coverage + 0.03, images),
        "labelled_accuracy": (proportion(accuracy, accuracy - 0.04, min(1.0, accuracy + 0.03), labelled)
                              if labelled else proportion(None, None, None, 0)),
        "accuracy_all": proportion(0.8, 0.77, 0.83, images),
        "ece": {"value": ece, "ci95": [ece - 0.01, ece + 0.015]},
        "set_coverage": proportion(set_coverage, set_coverage - 0.03, min(1.0, set_coverage + 0.02), images),
        "mean_set_size": size,
        "unfamiliar_share": proportion(0.12, 0.09, 0.15, images),
        "accuracy_familiar": proportion(familiar, familiar - 0.03, familiar + 0.03, int(images * 0.88)),
        "accuracy_unfamiliar": proportion(unfamiliar, unfamiliar - 0.08, unfamiliar + 0.08, int(images * 0.12)),
        "mean_max_probability": 0.81,
    }


def trust_section() -> dict:
    by_group = {
        "cohen": measured(118, 0.41, 0.875, 0.081, 0.89, 1.74, 0.78, 0.61),
        "kermany": measured(2940, 0.58, 0.912, 0.047, 0.91, 1.52, 0.83, 0.66),
        "nih": measured(294, 0.0, None, 0.132, 0.86, 2.05, 0.71, 0.52),
        "raddb": measured(6559, 0.66, 0.931, 0.036, 0.92, 1.38, 0.88, 0.70),
    }
    return {
        "classes": ["covid", "pneumonia", "normal"],
        "temperature": 1.412, "rule": "max_probability_if_single_class_set", "target_accuracy": 0.9,
        "threshold": 0.74, "set_confidence": 0.9, "set_thresholds": [0.31, 0.28, 0.35],
        "familiarity_threshold": 1.18, "familiarity_k": 10,
        "protocol": {"groups": GROUPS, "recipe": {"arch": "EfficientNet-Lite0", "epochs": 20, "img_size": 224},
                     "images": 9911,
                     "measured_by": "each held-out group read with parameters fitted on the other groups only"},
        "measured": {
            "pooled": measured(9911, 0.6, 0.921, 0.042, 0.91, 1.46, 0.86, 0.67),
            "by_group": by_group,
            "aurc": 0.094,
            "rules_compared": {"max_probability": {"aurc": 0.101, "coverage": 0.55, "labelled_accuracy": 0.905},
                               "max_probability_if_single_class_set": {"aurc": 0.094, "coverage": 0.6,
                                                                       "labelled_accuracy": 0.921}},
            "patient_split_test": {"images": 1487, "refused": 3,
                                   "coverage": proportion(0.83, 0.81, 0.85, 1487),
                                   "labelled_accuracy": proportion(0.962, 0.95, 0.972, 1234),
                                   "set_coverage": proportion(0.94, 0.93, 0.95, 1487), "unfamiliar": 41},
        },
    }


def open_how_it_works(chromium_browser, base_url: str, language: str, viewport: dict):
    """(context, page): a visitor's How it works in `language` at `viewport`, loaded with its
    plots; the caller closes the context."""
    context = chromium_browser.new_context(viewport=viewport)
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    page = context.new_page()
    page.goto(f"{base_url}/how-it-works/")
    page.wait_for_load_state("networkidle")
    return context, page
