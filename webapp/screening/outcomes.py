"""The plain words a person reads for each outcome, in one place for pages, reports and the API.

Wording rule: the app describes findings on an image, never a person's illness ("findings
consistent with COVID-19 are likely", not "you have COVID"), and always says who decides.
"""
from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import (
    OUTCOME_COVID,
    OUTCOME_NORMAL,
    OUTCOME_PNEUMONIA,
    OUTCOME_REFUSED,
    OUTCOME_UNCERTAIN,
)

CLASS_NAMES = {
    "covid": _("COVID-19"),
    "pneumonia": _("Pneumonia (not COVID-19)"),
    "normal": _("Normal"),
}

HEADLINES = {
    OUTCOME_COVID: _("Findings consistent with COVID-19 are likely"),
    OUTCOME_PNEUMONIA: _("Findings consistent with pneumonia (other than COVID-19) are likely"),
    OUTCOME_NORMAL: _("No findings of COVID-19 or pneumonia were detected"),
    OUTCOME_UNCERTAIN: _("Uncertain: a radiologist should read this"),
    OUTCOME_REFUSED: _("This image does not look like a frontal chest X-ray"),
}

EXPLANATIONS = {
    OUTCOME_COVID: _("The model found patterns that often appear in chest X-rays of people with "
                     "COVID-19. Other conditions can look similar; only an RT-PCR or antigen "
                     "test confirms COVID-19."),
    OUTCOME_PNEUMONIA: _("The model found patterns that often appear in chest X-rays of people "
                         "with pneumonia caused by something other than COVID-19. A clinician "
                         "needs to examine the person."),
    OUTCOME_NORMAL: _("The model found no patterns of COVID-19 or pneumonia. It misses many "
                      "pneumonias on X-rays from hospitals it did not learn from, and an early "
                      "infection may not show: if there are symptoms, see a clinician and get "
                      "tested."),
    OUTCOME_UNCERTAIN: _("No class was likely enough for the model to name it, so no outcome is "
                         "shown. Treat this as an unanswered question: a clinician should look "
                         "at the X-ray."),
    OUTCOME_REFUSED: _("The model only reads frontal chest X-rays and refused this image."),
}

DISCLAIMER = _("This is a screening aid, not a diagnosis. A clinician and an RT-PCR test decide. "
               "Do not start, stop or change any treatment because of this result.")
# On the page, the printed report and the PDF, whatever the outcome: the report is what a
# patient takes home. The same words as the landing page and every page's footer (one message).
EMERGENCY = _("If you have trouble breathing, chest pain, bluish lips or new confusion, go to "
              "the nearest emergency department now.")


def class_name(label: str) -> str:
    return str(CLASS_NAMES.get(label, label))


def headline(outcome: str) -> str:
    return str(HEADLINES[outcome])


def explanation(outcome: str) -> str:
    return str(EXPLANATIONS[outcome])


def percent_text(percent: float, decimals: int = 1) -> str:
    """A percentage the active language's way: "56.9%" in English, "56,9%" in Indonesian
    (pages, reports and the PDF alike)."""
    return number_format(round(float(percent), decimals), decimal_pos=decimals) + "%"


def probability_text(probability: float) -> str:
    """A class probability for display, to one decimal, but never "100.0%" or "0.0%" for one that
    is not exactly 1 or 0: readers take 100% as certainty, which no calibrated reading has (a
    0.99957 is shown ">99.9%", a 0.00041 "<0.1%")."""
    percent = 100 * float(probability)
    if percent < 100 and round(percent, 1) >= 100:
        return ">" + percent_text(99.9)
    if percent > 0 and round(percent, 1) <= 0:
        return "<" + percent_text(0.1)
    return percent_text(percent)


def probability_rows(reading) -> list[dict]:
    """Rows for the probability bars, most likely first; percent rounded for display."""
    return [
        {"label": label, "name": class_name(label), "percent": round(100 * p, 1),
         "percent_text": probability_text(p), "whole_percent": round(100 * p)}
        for label, p in reading.sorted_probabilities()
    ]


def next_steps(outcome: str) -> list[str]:
    """The guide's "What to do now" steps for `outcome`, in the active language: read from the
    guide's own outcome page (webapp/guide/templates/guide/outcomes/), so the reading, the
    report and the PDF say exactly what the guide says. [] when the guide has no such page."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import render_to_string

    try:
        html = render_to_string(f"guide/outcomes/{outcome}.html")
    except TemplateDoesNotExist:
        return []
    return _first_list_items(html)


def _first_list_items(html: str) -> list[str]:
    """The text of each item of the first ordered list in `html`."""
    from html.parser import HTMLParser

    class Items(HTMLParser):
        def __init__(self):
            super().__init__()
            self.items: list[str] = []
            self.state = "before"  # before -> in_list -> done
            self.current: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "ol" and self.state == "before":
                self.state = "in_list"
            elif tag == "li" and self.state == "in_list":
                self.current = []

        def handle_endtag(self, tag):
            if tag == "li" and self.current is not None:
                self.items.append(" ".join("".join(self.current).split()))
                self.current = None
            elif tag == "ol" and self.state == "in_list":
                self.state = "done"

        def handle_data(self, data):
            if self.current is not None:
                self.current.append(data)

    parser = Items()
    parser.feed(html)
    return [item for item in parser.items if item]


# --- prediction sets ------------------------------------------------------------------------------
# The classes the model cannot rule out at the confidence its card states (cxr.inference
# Prediction.prediction_set, fitted on X-rays from hospitals the model never saw). They describe
# what the image may show, never a diagnosis.


def _or_list(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return gettext("%(items)s or %(last)s") % {"items": ", ".join(names[:-1]), "last": names[-1]}


def _and_list(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(names[:-1]), "last": names[-1]}


def prediction_set_text(prediction_set: list[str] | None, classes: list[str], compact: bool = False) -> str:
    """The set in one or two short sentences; "" when there is no set (an older model).

    `classes` are all the model's classes, in the order to name them (most likely first).
    `compact`: a few words for lists such as the history ("Could be: COVID-19 or pneumonia")."""
    if prediction_set is None:
        return ""
    inside = [c for c in classes if c in prediction_set]
    inside += [c for c in prediction_set if c not in inside]
    outside = [class_name(c) for c in classes if c not in prediction_set]
    names = [class_name(c) for c in inside]
    if compact:
        if not names:
            return gettext("Fits no class: a radiologist should read it")
        return gettext("Could be: %(classes)s") % {"classes": _or_list(names)}
    if not names:
        return gettext("Every class was ruled out: this X-ray fits none of them well, so a "
                       "radiologist should read it.")
    if not outside:
        return gettext("No class can be ruled out: it could be %(classes)s.") % {"classes": _or_list(names)}
    if len(names) == 1:
        return gettext("Only %(name)s cannot be ruled out. Ruled out: %(ruled_out)s.") % {
            "name": names[0], "ruled_out": _and_list(outside)}
    return gettext("Could be: %(classes)s. Ruled out: %(ruled_out)s.") % {
        "classes": _or_list(names), "ruled_out": _and_list(outside)}


def set_level_text(confidence: float | None, at_site: bool = False) -> str:
    """The level the card (or, `at_site`, the site's own calibration) states for its sets, and
    where it was measured; "" when unknown."""
    if confidence is None:
        return ""
    percent = round(100 * float(confidence), 1)
    shown = str(int(percent)) if percent == int(percent) else number_format(percent, decimal_pos=1)
    if at_site:
        return gettext("At %(percent)s%% confidence, measured on this site's own labelled "
                       "X-rays.") % {"percent": shown}
    return gettext("At %(percent)s%% confidence, measured on X-rays from hospitals the model "
                   "never saw.") % {"percent": shown}
