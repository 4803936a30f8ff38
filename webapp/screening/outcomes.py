"""The plain words a person reads for each outcome, in one place for pages, reports and the API.

Wording rule: the app describes findings on an image, never a person's illness ("findings
consistent with COVID-19 are likely", not "you have COVID"), and always says who decides.
"""
from __future__ import annotations

from typing import NamedTuple

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
# The classes a reading's prediction set keeps (cxr.inference Prediction.prediction_set, fitted on
# X-rays from hospitals the model never saw, or on the site's own). The sets were fitted to hold the
# true class at a level (e.g. 90%): a target, which on unseen hospitals they met far less often, so
# a class left out of a set is never called "ruled out". They describe the image, never a diagnosis.


class SetCoverage(NamedTuple):
    """How often prediction sets held the true class where they were measured: `value` overall,
    `low` and `high` the lowest and highest held-out group's (None with fewer than two groups)."""

    value: float
    low: float | None = None
    high: float | None = None


def _is_share(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def measured_set_coverage(trust) -> SetCoverage | None:
    """The out-of-source coverage of a fit's sets (the card's `trust` or `trust_not_installed`):
    pooled over the held-out groups, and the range over them; None when not measured."""
    measured = getattr(trust, "measured", None) or {}
    pooled = ((measured.get("pooled") or {}).get("set_coverage") or {}).get("value")
    if not _is_share(pooled):
        return None
    groups = [((group or {}).get("set_coverage") or {}).get("value")
              for group in (measured.get("by_group") or {}).values() if isinstance(group, dict)]
    groups = [value for value in groups if _is_share(value)]
    if len(groups) < 2:
        return SetCoverage(pooled)
    return SetCoverage(pooled, min(groups), max(groups))


def share_text(share: float) -> str:
    """A measured share as a whole percentage ("54%"), but with one decimal where rounding would
    make it read as always or never ("99.8%", not "100%")."""
    percent = 100 * float(share)
    whole = round(percent)
    if (whole >= 100 and percent < 100) or (whole <= 0 and percent > 0):
        return percent_text(percent, 1)
    return percent_text(percent, 0)


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
        return gettext("The set is empty: this X-ray fits none of the classes well, so a "
                       "radiologist should read it.")
    if not outside:
        return gettext("The set keeps every class: it could be %(classes)s.") % {"classes": _or_list(names)}
    if len(names) == 1:
        return gettext("The set keeps only %(name)s. Left out of it: %(left_out)s.") % {
            "name": names[0], "left_out": _and_list(outside)}
    return gettext("Could be: %(classes)s. Left out of the set: %(left_out)s.") % {
        "classes": _or_list(names), "left_out": _and_list(outside)}


def set_level_text(confidence: float | None, at_site: bool = False,
                   measured: SetCoverage | None = None) -> str:
    """What a reading's set was fitted for and how often such sets held the true class: the level
    is a target (the card's, or, `at_site`, the site's own calibration's), `measured` where it was
    measured (on hospitals the model never saw, or on held-out halves of the site's X-rays).
    "" when the level is unknown."""
    if confidence is None:
        return ""
    percent = round(100 * float(confidence), 1)
    shown = str(int(percent)) if percent == int(percent) else number_format(percent, decimal_pos=1)
    if at_site:
        sentences = [gettext("The set aimed to contain the right answer %(percent)s%% of the time, "
                             "as fitted on this site's own labelled X-rays.") % {"percent": shown}]
        if measured is not None:
            sentences.append(gettext("On held-out halves of those X-rays, such sets contained it "
                                     "%(measured)s of the time.") % {"measured": share_text(measured.value)})
    else:
        sentences = [gettext("The set aimed to contain the right answer %(percent)s%% of the "
                             "time.") % {"percent": shown}]
        if measured is not None and measured.low is not None and measured.high is not None:
            sentences.append(gettext(
                "On X-rays from hospitals the model never saw, such sets contained it %(measured)s "
                "of the time (%(low)s to %(high)s, depending on the group of hospitals).") % {
                "measured": share_text(measured.value), "low": share_text(measured.low),
                "high": share_text(measured.high)})
        elif measured is not None:
            sentences.append(gettext("On X-rays from hospitals the model never saw, such sets "
                                     "contained it %(measured)s of the time.") % {
                "measured": share_text(measured.value)})
    sentences.append(gettext("A class left out of the set is not ruled out."))
    return " ".join(sentences)
