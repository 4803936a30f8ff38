"""Check the model at your hospital: its readings of your labelled X-rays against its card.

The counts, Wilson intervals, cases needed and the verdict are the serving side's
(cxr.inference.site_check, shared with the web app's site validation page); this toolkit report
adds what needs the evaluation stack: the full `classification_report` of every read X-ray
(bootstrap intervals, AUC, calibration error), the data of the reliability plot, and what
calibrating at this site would give (`calibrated_here`, cxr.evaluation.local_calibration: half of
the cases calibrate, the other half measure; the readings themselves are not changed).

A model card's out-of-source numbers describe hospitals like the held-out ones; a new site can
differ (scanners, patients, prevalence). The verdict can only withhold trust ("not validated for
use at this site") or say the local numbers are consistent with the card; it never turns a
screening aid into a diagnosis.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cxr.evaluation.local_calibration import site_what_if
from cxr.evaluation.metrics import classification_report, interval_method
from cxr.inference.site_check import SiteCase, per_class_label_counts, read_cases, site_report


def validate(cases: Sequence[SiteCase], classes: Sequence[str], card_trust: dict | None,
             n_boot: int = 1000, card_unseen_accuracy: float | None = None,
             card_refused_unseen: dict | None = None, card_split_accuracy: dict | None = None) -> dict:
    """The site report: counts, local accuracy and per-class sensitivity/specificity over all read
    X-rays, both by the model's top class (`per_class`) and by the label the app shows
    (`per_class_labelled`: an uncertain reading counts as not found), coverage and labelled accuracy (the app's decisions), set
    coverage, calibration, cases needed for tighter intervals, and the verdict. The card's
    figures as `site_report` takes them (cxr.inference.site_check.card_figures reads them)."""
    classes = list(classes)
    report = site_report(cases, classes, card_trust, card_unseen_accuracy=card_unseen_accuracy,
                         card_refused_unseen=card_refused_unseen, card_split_accuracy=card_split_accuracy)
    read = read_cases(cases)
    report["per_class_labelled"] = per_class_label_counts(read, classes)
    if read:
        y = np.array([classes.index(c.truth) for c in read])
        probs = np.array([[c.probabilities[k] for k in classes] for c in read])
        report["all_read"] = classification_report(y, probs, classes, n_boot=n_boot)
        # The same counts as the site's own figures, with the toolkit's intervals (AUC and ECE
        # have no Wilson interval): report.md shows the Wilson ones and says so.
        method = report["all_read"]["intervals"]
        report["intervals"]["all_read"] = (
            "the toolkit's classification_report of every read X-ray, with the intervals its own "
            f"`intervals` key names ({method}: {interval_method(report['all_read'])}; the bootstrap "
            f"over the read X-rays, {n_boot} resamples); report.md shows the Wilson intervals of the "
            "same counts")
        report["reliability"] = {"y": y.tolist(), "probs": probs.tolist()}
        report["calibrated_here"] = site_what_if(probs, y, classes)
    return report
