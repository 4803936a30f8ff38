"""Turn the model card's metric dictionaries into table rows a template can show.

The card holds, per split name (`random`, `source`, ...), a report from
`cxr.evaluation.metrics.classification_report`: scalars as {"value": v, "ci95": [lo, hi]}, `precision`
and `recall` with `macro` and `per_class`, `per_class` (class -> sensitivity, specificity, ppv,
auc), `confusion_matrix`, and optionally `per_source` accuracy. Anything else that looks like a
metric is shown too, under its own name, so a new metric in the card needs no template change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from typing import TYPE_CHECKING

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from cxr.inference.card import temperature_at_bound
from webapp.screening.outcomes import measured_set_coverage, share_text

if TYPE_CHECKING:
    from cxr.inference import ModelCard
    from cxr.inference.card import Trust

# Shown as percentages; other metrics (AUC, ECE, ...) as 3-decimal numbers.
PERCENT_METRICS = {"accuracy", "precision", "recall", "sensitivity", "specificity", "ppv", "npv",
                   "f1", "refusal_rate"}
METRIC_NAMES = {
    "accuracy": _("Accuracy"),
    "precision": _("Precision (macro average)"),
    "recall": _("Recall (macro average)"),
    "macro_auc": _("AUC, macro average (area under the ROC curve)"),
    "ece": _("Calibration error (ECE, lower is better)"),
    # The same number, named for what it was measured on: a report's `ece` is of the served
    # (temperature-scaled) probabilities in the installed model's own report, and of the raw ones
    # where the report also has `ece_after_temperature` (cxr.evaluation.report).
    "ece_as_served": _("Calibration error as served, after temperature scaling (ECE, lower is better)"),
    "ece_before_temperature": _("Calibration error before temperature scaling (ECE, lower is better)"),
    "nll_before_temperature": _("Log loss before temperature scaling (negative log-likelihood, lower is better)"),
    "sensitivity": _("Sensitivity"),
    "specificity": _("Specificity"),
    "ppv": _("Positive predictive value"),
    "auc": _("AUC"),
    # Written by `cxr evaluate` (the extra metrics of a separate model): its own temperature.
    "nll": _("Log loss (negative log-likelihood, lower is better)"),
    "ece_after_temperature": _("Calibration error after temperature scaling"),
    "nll_after_temperature": _("Log loss after temperature scaling"),
}
SPLIT_NAMES = {
    "random": _("Random split: test images drawn at random from the same collections as the training images"),
    "patient": _("Patient split: new patients of the collections the model learned from (none in both "
                 "training and test), not new hospitals"),
    "source": _("Source split: test images from collections the model never saw in training"),
}
PER_CLASS_METRICS = ["sensitivity", "specificity", "ppv", "auc"]
# Report bookkeeping, not metrics.
NOT_METRICS = {"n", "classes", "support", "n_boot", "seed", "subset", "split_csv", "probabilities",
               "from", "per_class", "per_source", "confusion_matrix", "model", "note", "intervals"}
# How a report's intervals were computed, by its `intervals` key (the keys of
# cxr.evaluation.metrics.INTERVAL_METHODS, which the web app does not import); None: reports
# written before the key, a bootstrap within each true class for every figure.
INTERVAL_METHODS = {
    None: _("The intervals of the overall and per-class measures come from bootstrap resampling of "
            "the test images within each true class: they keep the test set's mix of classes, so "
            "those of accuracy and positive predictive value are narrower than for a new mix of "
            "patients. The calibration error's range, resampled the same way, is only the spread of "
            "its resamples, not a confidence interval."),
    "wilson+stratified-bootstrap": _(
        "Accuracy, sensitivity, specificity and positive predictive value have Wilson score "
        "intervals, counted from the test images' confusion matrix. AUC and the macro averages come "
        "from bootstrap resampling of the test images within each true class; for macro precision "
        "that is narrower than for a new mix of patients. The calibration error's range, resampled "
        "the same way, is only the spread of its resamples, not a confidence interval."),
    "wilson+bootstrap": _(
        "Accuracy, sensitivity, specificity and positive predictive value have Wilson score "
        "intervals. AUC and macro recall come from bootstrap resampling of the test images within "
        "each true class, macro precision from resampling over all test images. The calibration "
        "error's range, resampled over all test images, is only the spread of its resamples, not a "
        "confidence interval."),
}


# The public image collections under one name for people (../shared/data/cxr/SOURCES.md). The
# card names each by where its images were downloaded from (per-source counts and accuracy:
# `darkcovidnet` holds NIH ChestX-ray8 images) or by its group of sources (the out-of-source fit,
# the lung-field and verifier checks: `nih`); the page shows the one name with the card's key in
# brackets, so that a reader can tell the tables speak of the same X-rays.
COLLECTIONS = {
    "raddb": "COVID-19 Radiography Database",
    "cohen": "Cohen et al.",
    "darkcovidnet": "NIH ChestX-ray8", "nih": "NIH ChestX-ray8",
    "skytells": "Kermany et al.", "zargari": "Kermany et al.", "kermany": "Kermany et al.",
}


def collection_name(key) -> str:
    """"NIH ChestX-ray8 (darkcovidnet)"; an unknown key as it is."""
    name = COLLECTIONS.get(str(key))
    return f"{name} ({key})" if name else str(key)


@dataclass
class Cell:
    value: str
    ci: str = ""


@dataclass
class SplitTables:
    key: str
    title: str
    n: int | None
    summary: list[tuple[str, Cell]] = field(default_factory=list)
    per_class_header: list[str] = field(default_factory=list)
    per_class: list[tuple[str, list[Cell]]] = field(default_factory=list)
    confusion_classes: list[str] = field(default_factory=list)
    confusion: list[tuple[str, list[int]]] = field(default_factory=list)
    per_source: list[tuple[str, int | None, Cell]] = field(default_factory=list)
    separate_model: bool = False  # measured on another model trained with the same recipe

    # Each cell with its column's header, which a phone shows beside it (the table stacked).
    def per_class_rows(self) -> list[tuple[str, list[tuple[str, Cell]]]]:
        return [(name, list(zip(self.per_class_header, cells, strict=False))) for name, cells in self.per_class]

    def confusion_rows(self) -> list[tuple[str, list[tuple[str, int]]]]:
        return [(name, list(zip(self.confusion_classes, row, strict=False))) for name, row in self.confusion]


def is_scalar(value) -> bool:
    return (isinstance(value, dict) and "value" in value) or (isinstance(value, Real) and not isinstance(value, bool))


def format_temperature(value: float) -> str:
    """A temperature to three decimals in the reader's language, without trailing zeros: "20",
    not "20.000" (or Indonesian "20,000"), which reads as twenty thousand; "1.7", "1.412"."""
    rounded = round(value, 3)
    decimals = len(f"{rounded:.3f}".rstrip("0").partition(".")[2])
    return number_format(rounded, decimals)


def format_number(value, metric: str) -> str:
    if value is None or not isinstance(value, Real):
        return "—"
    # Rounded here: Django's number_format cuts extra digits off instead of rounding.
    if metric in PERCENT_METRICS:
        return number_format(round(100 * value, 1), 1) + "%"
    return number_format(round(value, 3), 3)


def cell(value, metric: str) -> Cell:
    """A scalar ({"value", "ci95"} or a bare number) formatted as value and "lo–hi" interval."""
    if not isinstance(value, dict):
        return Cell(format_number(value, metric))
    ci = value.get("ci95")
    interval = ""
    if isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(x, Real) for x in ci):
        interval = f"{format_number(ci[0], metric)} – {format_number(ci[1], metric)}"
    return Cell(format_number(value.get("value"), metric), interval)


def metric_label(name: str) -> str:
    return str(METRIC_NAMES.get(name, name.replace("_", " ").capitalize()))


def split_title(key: str) -> str:
    return str(SPLIT_NAMES.get(key, key))


def served_probabilities(report: dict) -> bool:
    """Whether the report's `ece` is of the probabilities as served (after temperature scaling):
    what `cxr export` writes of the installed model's own test images (cxr.export.bundle)."""
    return "after temperature" in str(report.get("probabilities") or "")


def _row_label(name: str, report: dict) -> str:
    """A metric's name, saying before or after temperature scaling where the report tells."""
    if name in ("ece", "nll") and f"{name}_after_temperature" in report:
        return metric_label(f"{name}_before_temperature")
    if name == "ece" and served_probabilities(report):
        return metric_label("ece_as_served")
    return metric_label(name)


def _summary_rows(report: dict) -> list[tuple[str, Cell]]:
    rows = []
    for name, value in report.items():
        if name in NOT_METRICS:
            continue
        if is_scalar(value):
            rows.append((_row_label(name, report), cell(value, name)))
        elif isinstance(value, dict) and is_scalar(value.get("macro")):
            rows.append((metric_label(name), cell(value["macro"], name)))
        elif isinstance(value, dict):
            # An unknown group of metrics: one row per scalar inside it.
            for inner, inner_value in value.items():
                if is_scalar(inner_value):
                    rows.append((f"{metric_label(name)} · {inner}", cell(inner_value, inner)))
    return rows


def split_tables(key: str, report: dict, class_names: dict[str, str] | None = None) -> SplitTables:
    class_names = class_names or {}
    shown = lambda c: str(class_names.get(c, c))  # noqa: E731
    tables = SplitTables(key=key, title=split_title(key),
                         n=report.get("n") if isinstance(report.get("n"), int) else None)
    tables.summary = _summary_rows(report)
    tables.separate_model = isinstance(report.get("model"), dict)

    per_class = report.get("per_class")
    if isinstance(per_class, dict) and per_class:
        metrics = [m for m in PER_CLASS_METRICS if any(m in (v or {}) for v in per_class.values())]
        metrics += sorted({m for v in per_class.values() if isinstance(v, dict) for m in v} - set(metrics))
        tables.per_class_header = [metric_label(m) for m in metrics]
        tables.per_class = [
            (shown(name), [cell((values or {}).get(m), m) for m in metrics])
            for name, values in per_class.items() if isinstance(values, dict)
        ]

    classes = report.get("classes") or list(per_class or {})
    matrix = report.get("confusion_matrix")
    if isinstance(matrix, list) and len(matrix) == len(classes) and classes:
        tables.confusion_classes = [shown(c) for c in classes]
        tables.confusion = [(shown(c), list(row)) for c, row in zip(classes, matrix, strict=True)]

    per_source = report.get("per_source")
    if isinstance(per_source, dict):
        tables.per_source = [
            (collection_name(source), values.get("n"), cell(values.get("accuracy"), "accuracy"))
            for source, values in per_source.items() if isinstance(values, dict)
        ]
    return tables


def all_split_tables(card: ModelCard, class_names: dict[str, str] | None = None) -> list[SplitTables]:
    tables = []
    for key, report in card.metrics.items():
        if not isinstance(report, dict):
            continue
        split = split_tables(key, report, class_names)
        # The installed model's own test report holds only the calibration error as served; the
        # card's `calibration` has the same test images' error before temperature scaling, so
        # every split shows both.
        before = card.calibration.test_ece_before if card.calibration else None
        if served_probabilities(report) and report.get("subset") == "test" and isinstance(before, Real):
            at = next((i + 1 for i, (label, _c) in enumerate(split.summary)
                       if label == metric_label("ece_as_served")), len(split.summary))
            split.summary.insert(at, (metric_label("ece_before_temperature"), cell(before, "ece")))
        tables.append(split)
    return tables


def interval_methods(card: ModelCard) -> list[tuple[str, str]]:
    """How each split's intervals were computed, as (split name, sentence): one row with no name
    when every split was computed the same way."""
    reports = {key: r for key, r in card.metrics.items() if isinstance(r, dict)}
    sentences = {key: _method_sentence(r.get("intervals")) for key, r in reports.items()}
    if len(set(sentences.values())) <= 1:
        return [("", sentence) for sentence in list(dict.fromkeys(sentences.values()))[:1]]
    return [(split_title(key).split(":")[0], sentence) for key, sentence in sentences.items()]


def _method_sentence(key) -> str:
    if key in INTERVAL_METHODS:
        return str(INTERVAL_METHODS[key])
    return _("The card names the method of these intervals “%(method)s”.") % {"method": key}


def without_interval(splits: list[SplitTables]) -> list[str]:
    """The measures the split tables show with "—" for an interval, each named once."""
    names = [label for split in splits for label, c in split.summary if not c.ci and c.value != "—"]
    return list(dict.fromkeys(names))


SUBSET_NAMES = {"train": _("Training"), "val": _("Validation"), "test": _("Test")}


@dataclass
class DataRow:
    """One subset of the training data: how many X-rays, per class and per source."""

    subset: str
    images: str
    by_class: list[str]  # "COVID-19 1,436", one per line on the page
    by_source: list[str]


def data_rows(data, class_names: dict[str, str] | None = None) -> list[DataRow]:
    """The card's `training.data` ({subset: {n, by_label, by_source}}) as one row per subset, with
    the subsets' and classes' names in the reader's language. [] for any other shape (older
    cards), which the page shows as plain rows (detail_rows)."""
    names = class_names or {}
    if not isinstance(data, dict) or not data or set(data) - set(SUBSET_NAMES):
        return []
    rows = []
    for key in (k for k in SUBSET_NAMES if k in data):  # training, validation, test
        subset = data[key]
        if not isinstance(subset, dict):
            return []
        by_label, by_source = subset.get("by_label") or {}, subset.get("by_source") or {}
        if not (isinstance(by_label, dict) and isinstance(by_source, dict)):
            return []
        rows.append(DataRow(str(SUBSET_NAMES[key]), plain_text(subset.get("n", "")),
                            [f"{names.get(c, c)} {plain_text(n)}" for c, n in by_label.items()],
                            [f"{collection_name(source)} {plain_text(n)}" for source, n in by_source.items()]))
    return rows


def detail_rows(value, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """Nested card details (e.g. training data sources and counts) as (label, text) rows."""
    if isinstance(value, dict) and value and prefix and all(is_plain(v) for v in value.values()):
        # A small table of counts (e.g. images per label): one row, "covid 179, normal 522".
        return [(prefix, ", ".join(f"{key} {plain_text(v)}" for key, v in value.items()))]
    if isinstance(value, dict) and depth < 4:
        rows = []
        for key, inner in value.items():
            label = f"{prefix} › {key}" if prefix else str(key)
            label = label.replace("_", " ")
            rows.extend(detail_rows(inner, label, depth + 1))
        return rows
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, list):
        return [(prefix or "", ", ".join(plain_text(x) for x in value))]
    return [(prefix or "", plain_text(value))]


def is_plain(value) -> bool:
    return not isinstance(value, dict | list)


def plain_text(value) -> str:
    if isinstance(value, float):
        return number_format(round(value, 3), 3)
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return str(value)


# --- the out-of-source fit (card section `trust`, cxr.evaluation.trust) ---------------------------

@dataclass
class TrustRow:
    """One held-out source group (or all of them pooled), as measured with parameters fitted on
    the other groups only (the rule itself, unless named, chosen on all these rows)."""

    name: str
    sources: str
    pooled: bool
    key: str  # the card's name of the group
    images: str
    coverage: Cell
    labelled_accuracy: Cell
    ece: Cell
    set_coverage: Cell
    mean_set_size: str
    accuracy_familiar: Cell
    accuracy_unfamiliar: Cell
    unfamiliar_share: Cell


@dataclass
class TrustTables:
    rows: list[TrustRow]
    target_percent: str  # "90": labelled readings are to be right this often
    set_percent: str  # "90": prediction sets are to hold the true class this often
    groups: int
    patient_split: dict | None = None  # the served model on its own patient-split test images
    # "img_size 128 (installed model: 224), ..." when the fold models were trained differently
    recipe_differences: str = ""
    labels_nothing: bool = False  # no threshold reached the target: the fit gives no label at all
    # A fit not installed: the served model as it is, on the same patient-split test images
    served_patient_split: dict | None = None
    # How often the sets held the true class on the held-out groups ("54%", pooled), and the lowest
    # and highest group's; "" when not measured (set_percent is the target, not this).
    set_coverage: str = ""
    set_coverage_low: str = ""
    set_coverage_high: str = ""
    # The fitted temperature ran to the end of its search range (cxr.inference.card
    # .temperature_at_bound): the probabilities were flattened until they matched a weak model, so a
    # small calibration error says they were honest, not informative. The texts below are empty
    # unless it did.
    temperature_at_bound: bool = False
    temperature: str = ""
    mean_top_percent: str = ""  # mean probability of the most likely class, pooled
    chance_percent: str = ""  # 1 / number of classes
    accuracy_percent: str = ""  # how often the most likely class was right, pooled
    # Whether labelling the surest X-rays first made labels right more often, pooled (the risk-
    # coverage curves fall from left to right): None where the card lacks the numbers.
    confidence_ranks: bool | None = None
    # How many kinds of rule were compared when the rule was chosen on these same left-out
    # measurements (`cxr trust` without --rule; a fit that does not say was made so): 0 when the
    # rule was named or nothing was compared. The page then says the rows can flatter it.
    rules_chosen_among: int = 0


def percent_number(share) -> str:
    """A share as the number of a percentage, for a template that writes the "%" itself: 0.9 ->
    "90", 0.925 -> "92,5" (in the active language's number format). webapp.screening.outcomes
    .percent_text writes a percentage, sign included."""
    if not isinstance(share, Real):
        return "—"
    percent = round(100 * float(share), 1)
    return str(int(percent)) if percent == int(percent) else number_format(percent, 1)


def _trust_row(name: str, sources, measured: dict, pooled: bool = False) -> TrustRow:
    measured = measured if isinstance(measured, dict) else {}
    images = measured.get("images")
    size = measured.get("mean_set_size")
    return TrustRow(
        name=name if pooled else collection_name(name), key=name,
        # A group named after its one source needs no list under its name.
        sources=", ".join(str(s) for s in sources)
        if isinstance(sources, list | tuple) and [str(s) for s in sources] != [name] else "",
        pooled=pooled,
        images=plain_text(images) if isinstance(images, int) else "—",
        coverage=cell(measured.get("coverage"), "accuracy"),
        labelled_accuracy=cell(measured.get("labelled_accuracy"), "accuracy"),
        ece=cell(measured.get("ece"), "ece"),
        set_coverage=cell(measured.get("set_coverage"), "accuracy"),
        mean_set_size=number_format(round(size, 2), 2) if isinstance(size, Real) else "—",
        accuracy_familiar=cell(measured.get("accuracy_familiar"), "accuracy"),
        accuracy_unfamiliar=cell(measured.get("accuracy_unfamiliar"), "accuracy"),
        unfamiliar_share=cell(measured.get("unfamiliar_share"), "accuracy"),
    )


def trust_tables(trust: Trust | None, pooled_name: str = "all groups") -> TrustTables | None:
    """An out-of-source fit's measurements (the card's `trust` or `trust_not_installed`), one row
    per held-out group then the pooled row; None without such a section."""
    if trust is None:
        return None
    measured = dict(trust.measured or {})
    groups = (trust.protocol or {}).get("groups") or {}
    groups = groups if isinstance(groups, dict) else {}
    by_group = measured.get("by_group") if isinstance(measured.get("by_group"), dict) else {}
    rows = [_trust_row(str(name), groups.get(name), values) for name, values in by_group.items()]
    if isinstance(measured.get("pooled"), dict):
        rows.append(_trust_row(str(pooled_name), None, measured["pooled"], pooled=True))
    patient_split = _patient_split(measured.get("patient_split_test"))
    served_patient_split = _patient_split(measured.get("served_patient_split_test"))
    differences = (trust.protocol or {}).get("recipe_differs_from_served_model") or {}
    recipe = ", ".join(f"{key} {fold} ({served})" for key, (fold, served) in differences.items())
    coverage = measured_set_coverage(trust)
    pooled = measured.get("pooled") if isinstance(measured.get("pooled"), dict) else {}
    top, right = pooled.get("mean_max_probability"), _value(pooled, "accuracy_all", "value")
    at_bound = temperature_at_bound(trust.temperature)
    # The fit's classes (kept under their own key), else one set threshold per class.
    classes = (trust.extra or {}).get("classes") or trust.set_thresholds or ()
    classes = len(classes) if isinstance(classes, list | tuple) else 0
    flat = {
        "temperature_at_bound": at_bound,
        "temperature": format_temperature(trust.temperature) if at_bound else "",
        "mean_top_percent": percent_number(top) if at_bound and isinstance(top, Real) else "",
        "chance_percent": percent_number(1 / classes) if at_bound and classes else "",
        "accuracy_percent": percent_number(right) if at_bound and isinstance(right, Real) else "",
    }
    compared = measured.get("rules_compared")
    chosen_here = (trust.protocol or {}).get("rule_chosen_on_measurements", True)
    rules_chosen_among = len(compared) if isinstance(compared, dict) and chosen_here is True else 0
    return TrustTables(rows=rows, target_percent=percent_number(trust.target_accuracy),
                       rules_chosen_among=rules_chosen_among,
                       confidence_ranks=_confidence_ranks(measured.get("aurc"), right),
                       set_percent=percent_number(trust.set_confidence), groups=len(by_group or groups),
                       patient_split=patient_split, recipe_differences=recipe,
                       labels_nothing=trust.threshold is None, served_patient_split=served_patient_split,
                       set_coverage=share_text(coverage.value) if coverage else "",
                       set_coverage_low=share_text(coverage.low) if coverage and coverage.low is not None else "",
                       set_coverage_high=share_text(coverage.high) if coverage and coverage.high is not None else "",
                       **flat)


def _confidence_ranks(aurc, accuracy) -> bool | None:
    """Whether the readings the model was surest of were right more often than the others: the
    area under the pooled risk-coverage curve (the share wrong, averaged over every coverage)
    clearly below the share wrong of X-rays taken in random order, which is 1 - accuracy at every
    coverage. "Clearly": a tenth lower, so that a flat curve with a small dip does not count."""
    if not (isinstance(aurc, Real) and isinstance(accuracy, Real)):
        return None
    return aurc < 0.9 * (1 - accuracy)


def _patient_split(check) -> dict | None:
    """A patient-split check (cxr.cli.trust.patient_split_check) as display cells."""
    if not isinstance(check, dict):
        return None
    accuracy = check.get("labelled_accuracy")
    accuracy = accuracy.get("value") if isinstance(accuracy, dict) else accuracy
    return {
        # False when nothing got a label: there is no share of right labels to state.
        "labelled": isinstance(accuracy, Real) and not isinstance(accuracy, bool),
        "images": plain_text(check["images"]) if isinstance(check.get("images"), int) else "—",
        "coverage": cell(check.get("coverage"), "accuracy"),
        "labelled_accuracy": cell(check.get("labelled_accuracy"), "accuracy"),
        "set_coverage": cell(check.get("set_coverage"), "accuracy"),
    }


@dataclass
class CheckRow:
    """One row of the guard checks' tables: a held-out group and its measured proportions."""

    name: str
    cells: list[Cell]


@dataclass
class GuardChecks:
    """The card's `lung_field` and `verifier` sections, ready for How it works."""

    dice_rows: list[CheckRow]  # held-out mask source: images, mean Dice
    reliable: bool | None
    off_lung_rows: list[CheckRow]  # held-out group: off the lungs, right when off, right when on
    warn_percent: str  # "50": warn below this share of the heat map on the lungs
    family_rows: list[CheckRow]  # left-out negative family: refused (verifier or rules)
    source_rows: list[CheckRow]  # left-out source group: real X-rays refused
    test_refused: Cell | None
    # The held-out groups whose off-lung readings were right less often than the others, more
    # often, or neither, by non-overlapping 95% intervals: what the page says, from the numbers.
    off_lungs_worse: str = ""
    off_lungs_better: str = ""
    off_lungs_unclear: str = ""
    # The fold models that measured them: "EfficientNet-Lite0, 128 × 128 pixels", and how they
    # differ from the installed model ("image size 128 px (224 px)"; "" when they do not).
    off_lungs_models: str = ""
    off_lungs_differences: str = ""
    off_lungs_not_trust_models: bool = False  # not the fold models of the out-of-source fit
    # The left-out family of pictures that are variants of a few distinct images (the guard's
    # negative test set): their counts and, when every one was refused, the interval over the
    # distinct images alone. None without such a family.
    pictures_note: dict | None = None


def _count(value) -> str:
    return plain_text(value) if isinstance(value, int) and not isinstance(value, bool) else "—"


def _value(data, *keys):
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def guard_checks(card: ModelCard, pooled_name: str = "all",
                 family_names: dict[str, str] | None = None) -> GuardChecks | None:
    """None when the card has neither a lung field nor a verifier section. `family_names` gives
    the negative families' names for people (the card's keys otherwise)."""
    lung, verifier = (card.lung_field, card.verifier) if card else (None, None)
    if lung is None and verifier is None:
        return None
    dice_rows, off_rows = [], []
    if lung is not None:
        for name, summary in (lung.held_out or {}).items():
            # Dice is a score from 0 to 1, not a share: shown as 0.932, not 93.2%.
            dice_rows.append(CheckRow(collection_name(name), [Cell(_count(_value(summary, "images"))),
                                                   cell(_value(summary, "mean_dice"), "mean_dice")]))
        oos = lung.out_of_source or {}
        groups = {**{collection_name(k): v for k, v in (oos.get("by_group") or {}).items()},
                  pooled_name: oos.get("all")} if oos.get("all") else {}
        for name, part in groups.items():
            off_rows.append(CheckRow(str(name), [cell(_value(part, key), "accuracy") for key in
                                                 ("off_lungs", "accuracy_off_lungs", "accuracy_on_lungs")]))
    family_rows, source_rows, test_refused = [], [], None
    if verifier is not None:
        for name, part in (verifier.families_left_out or {}).items():
            # What a user meets: every served check (cards from 2026-12-03), else verifier or rules.
            key = "whole_guard" if "whole_guard" in part else "either"
            family_rows.append(CheckRow(str((family_names or {}).get(name, name)), [Cell(_count(_value(part, key, "n"))),
                                                     cell(_value(part, key), "accuracy")]))
        for name, part in (verifier.sources_left_out or {}).items():
            source_rows.append(CheckRow(collection_name(name), [cell(_value(part, "training_xrays"), "accuracy"),
                                                     cell(_value(part, "test_xrays"), "accuracy")]))
        if verifier.patient_split_test:
            test_refused = cell(dict(verifier.patient_split_test), "accuracy")
    return GuardChecks(dice_rows=dice_rows, reliable=lung.reliable if lung else None, off_lung_rows=off_rows,
                       warn_percent=percent_number(lung.warn_below) if lung and lung.warn_below else "",
                       family_rows=family_rows, source_rows=source_rows, test_refused=test_refused,
                       **_off_lungs_verdicts(lung.out_of_source if lung else None),
                       **_off_lungs_models(card, lung.out_of_source if lung else None),
                       pictures_note=_pictures_note(card, family_names))


def _interval(part) -> tuple[float, float] | None:
    ci = part.get("ci95") if isinstance(part, dict) else None
    if isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(x, Real) for x in ci):
        return float(ci[0]), float(ci[1])
    return None


def _off_lungs_verdicts(oos) -> dict:
    """Per held-out group: were readings whose heat map lay mostly off the lungs right less often
    than the others (their 95% intervals apart), more often, or neither?"""
    worse, better, unclear = [], [], []
    for name, part in ((oos or {}).get("by_group") or {}).items():
        off, on = _interval(_value(part, "accuracy_off_lungs")), _interval(_value(part, "accuracy_on_lungs"))
        if off is None or on is None:
            continue
        (worse if off[1] < on[0] else better if off[0] > on[1] else unclear).append(collection_name(name))
    return {"off_lungs_worse": ", ".join(worse), "off_lungs_better": ", ".join(better),
            "off_lungs_unclear": ", ".join(unclear)}


def _off_lungs_models(card: ModelCard, oos) -> dict:
    """Which fold models measured the off-lung readings (the card's `lung_field.out_of_source
    .protocol`), and what differs from the installed model: its network and input size."""
    protocol = (oos or {}).get("protocol") if isinstance((oos or {}).get("protocol"), dict) else {}
    arch, size = protocol.get("arch"), protocol.get("image_size")
    if not (arch or size):
        return {}
    served_arch = getattr(card.architecture, "name", None)
    differences, network, image_size = [], _("network"), _("image size")
    if arch and served_arch and arch != served_arch:
        differences.append(f"{network} {arch} ({served_arch})")
    if isinstance(size, int) and isinstance(card.input_size, int) and size != card.input_size:
        differences.append(f"{image_size} {size} px ({card.input_size} px)")
    fit = card.trust or card.trust_not_installed
    recipe = ((fit.protocol or {}).get("recipe") or {}) if fit else {}
    fit_size, fit_arch = recipe.get("img_size"), recipe.get("arch")
    not_trust = bool(fit) and ((isinstance(fit_size, int) and fit_size != size) or bool(fit_arch and arch and fit_arch != arch))
    models = ", ".join(x for x in (str(arch or ""), f"{size} × {size} px" if isinstance(size, int) else "") if x)
    return {"off_lungs_models": models, "off_lungs_differences": ", ".join(differences),
            "off_lungs_not_trust_models": not_trust}


def _pictures_note(card: ModelCard, family_names: dict[str, str] | None) -> dict | None:
    """The left-out family "pictures" is the guard's negative test set (cxr.data.negatives): a few
    hundred crops, grey, rotated, inverted and JPEG variants of a few dozen distinct images plus
    synthetic drawings, so its interval, which counts every picture as independent, is too
    narrow. When every picture was refused, so was every variant of each distinct image, and the
    interval over the distinct images alone is the honest one."""
    from cxr.inference.site_check import wilson_interval

    verifier = card.verifier
    part = (verifier.families_left_out or {}).get("pictures") if verifier else None
    negatives = dict((card.ood.negative_set or {}) if card.ood else {})
    key = "whole_guard" if isinstance(part, dict) and "whole_guard" in part else "either"
    measured = _value(part, key)
    n, distinct = _value(measured, "n"), negatives.get("distinct_base_images")
    if not (isinstance(n, int) and n == negatives.get("n") and isinstance(distinct, int) and distinct):
        return None
    note = {"name": str((family_names or {}).get("pictures", "pictures")), "n": _count(n),
            "distinct": _count(distinct), "synthetic": _count(negatives.get("synthetic_images")),
            "distinct_ci": ""}
    if _value(measured, "value") == 1.0:
        low, high = wilson_interval(distinct, distinct)
        note["distinct_ci"] = f"{format_number(low, 'accuracy')} – {format_number(high, 'accuracy')}"
    return note
