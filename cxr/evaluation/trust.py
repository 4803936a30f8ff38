"""What the system may say about itself, fitted and measured on out-of-source readings.

Input: the folder of `python -m cxr out-of-source` (every image read by a model that never saw
its source). Fitted here, all on those readings:
- a temperature (calibrated probabilities for unseen sources);
- the abstention rule and its threshold (labelled readings right at least `target` of the time);
- class-conditional conformal thresholds (prediction sets at `confidence`);
- the familiarity threshold on the nearest-neighbour distance ratio (the guard's kNN score).

Measured by leaving one source group out of the fitting at a time: every number reported for a
group comes from parameters (temperature, thresholds) fitted on the other groups only, so it is
what a new hospital would see. Which rule to use, unless named, is chosen on those same left-out
measurements (`choose_rule` over `compare_rules`), not in a nested loop: the chosen rule's rows
can flatter it a little, and the protocol says so (`rule_chosen_on_measurements`). The shipped
parameters are then fitted on all groups.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import log_softmax

from cxr.evaluation.conformal import fit_class_conditional
from cxr.evaluation.markdown import format_estimate, table
from cxr.evaluation.metrics import (
    ECE_SPREAD,
    bootstrap_statistic,
    expected_calibration_error,
    fit_temperature,
    softmax_probs,
)
from cxr.evaluation.selective import area_under_risk_coverage, risk_coverage, threshold_for_accuracy
from cxr.inference.abstention import RULES, prediction_sets, rule_scores
from cxr.inference.guard.detectors import FAMILIARITY_K, familiarity_ratio
from cxr.inference.site_check import proportion

# The familiarity score is the guard's nearest-neighbour ratio (detectors.familiarity_ratio).
# Candidate familiarity thresholds: flag between 5% and 50% of the fitting readings.
FAMILIARITY_FLAGGED_RANGE = (0.05, 0.50)

@dataclass
class TrustParameters:
    """What the model card carries (section `trust`), with the protocol that fitted it."""

    classes: list[str]
    temperature: float
    rule: str
    target_accuracy: float
    threshold: float
    set_confidence: float
    set_thresholds: list[float | None]  # None: the class is never ruled out
    familiarity_threshold: float
    familiarity_k: int = FAMILIARITY_K
    protocol: dict = field(default_factory=dict)
    measured: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The card's `trust` section. JSON has no infinity: a threshold of None labels nothing."""
        out = asdict(self)
        out["threshold"] = float(self.threshold) if np.isfinite(self.threshold) else None
        return out


def _probs(frame: pd.DataFrame) -> np.ndarray:
    return frame[[c for c in frame.columns if c.startswith("p_")]].to_numpy()


def load_readings(oos_dir: str | Path) -> tuple[pd.DataFrame, list[str], dict]:
    """The out-of-source readings, one row per image: label index `y`, logits, familiarity ratio.

    The ratio comes from the CSV where the folds wrote it, else from the folds' features."""
    oos_dir = Path(oos_dir)
    protocol = json.loads((oos_dir / "protocol.json").read_text(encoding="utf-8"))
    table = pd.read_csv(oos_dir / "oos_predictions.csv")
    classes = [c.removeprefix("logit_") for c in table.columns if c.startswith("logit_")]
    table["y"] = table["label"].map({c: i for i, c in enumerate(classes)})
    if "knn_ratio" in table.columns and table["knn_ratio"].notna().all():
        return table, classes, protocol
    table["knn_ratio"] = np.nan
    for name in protocol["groups"]:
        with np.load(oos_dir / name / "predictions.npz") as fold:
            table.loc[fold["rows"], "knn_ratio"] = familiarity_ratio(
                fold["reference_features"], fold["val_features"], fold["features"])
    return table, classes, protocol


def fit(table: pd.DataFrame, classes: list[str], rule: str, target: float,
        confidence: float) -> TrustParameters:
    """Fit every parameter on `table` (readings from models blind to their sources)."""
    logits = table[[f"logit_{c}" for c in classes]].to_numpy()
    y = table["y"].to_numpy()
    temperature = fit_temperature(logits, y)
    probs = softmax_probs(logits, temperature)
    sets = fit_class_conditional(probs, y, confidence)
    correct = probs.argmax(axis=1) == y
    familiarity = _familiarity_threshold(table["knn_ratio"].to_numpy(), correct)
    frame = _readings(table, classes, temperature, sets.serving_thresholds(), familiarity)
    threshold = threshold_for_accuracy(_scores(frame, rule), frame["correct"].to_numpy(), target)
    return TrustParameters(classes, temperature, rule, target, threshold, confidence,
                           sets.serving_thresholds(), familiarity)


def _scores(frame: pd.DataFrame, rule: str) -> np.ndarray:
    """The abstention rule's score of each reading, computed as the app computes it."""
    return rule_scores(rule, _probs(frame), frame[[c for c in frame.columns if c.startswith("in_")]].to_numpy(),
                       frame["unfamiliar"].to_numpy())


def _familiarity_threshold(ratio: np.ndarray, correct: np.ndarray) -> float:
    """The ratio above which readings are least accurate compared with the rest.

    Among thresholds flagging 5-50% of readings, the one with the largest accuracy gap between
    familiar and unfamiliar readings; the gap is measured again on a left-out group.
    """
    lo, hi = FAMILIARITY_FLAGGED_RANGE
    best, best_gap = float(np.quantile(ratio, 1 - lo)), -np.inf
    for q in np.linspace(1 - hi, 1 - lo, 46):
        t = float(np.quantile(ratio, q))
        flagged = ratio > t
        if flagged.all() or not flagged.any():
            continue
        gap = correct[~flagged].mean() - correct[flagged].mean()
        if gap > best_gap:
            best, best_gap = t, gap
    return best


def _readings(table: pd.DataFrame, classes: list[str], temperature: float,
              set_thresholds: list[float | None], familiarity: float) -> pd.DataFrame:
    """Per image: calibrated probabilities, prediction set, familiarity flag and correctness."""
    logits = table[[f"logit_{c}" for c in classes]].to_numpy()
    probs = softmax_probs(logits, temperature)
    in_set = prediction_sets(probs, set_thresholds)
    y = table["y"].to_numpy()
    frame = pd.DataFrame(probs, columns=[f"p_{c}" for c in classes], index=table.index)
    for i, c in enumerate(classes):
        frame[f"in_{c}"] = in_set[:, i]
    frame["y"] = y
    frame["group"] = table["group"].to_numpy()
    frame["correct"] = probs.argmax(axis=1) == y
    frame["set_size"] = in_set.sum(axis=1)
    frame["covered"] = in_set[np.arange(len(y)), y]
    frame["unfamiliar"] = table["knn_ratio"].to_numpy() > familiarity
    return frame


def left_out_readings(table: pd.DataFrame, classes: list[str], rule: str, target: float,
                      confidence: float) -> pd.DataFrame:
    """Every group's readings under parameters fitted on the other groups only."""
    parts = []
    for group in table["group"].unique():
        params = fit(table[table["group"] != group], classes, rule, target, confidence)
        held = table[table["group"] == group]
        frame = _readings(held, classes, params.temperature, params.set_thresholds,
                          params.familiarity_threshold)
        frame["labelled"] = _scores(frame, rule) >= params.threshold
        parts.append(frame)
    return pd.concat(parts).sort_index()


def left_out_log_loss(table: pd.DataFrame, classes: list[str]) -> dict[str, dict]:
    """Per held-out group and pooled: the mean log loss (NLL) of its readings under the
    temperature fitted on the other groups, beside that of the class-prior baseline, which
    gives every X-ray the class shares of the other groups (add-one, so that a class they lack
    costs a finite loss). At the temperature's bound the probabilities are nearly flat, so the
    binned ECE is about |accuracy - mean confidence| and says little; the log loss against this
    baseline says whether the readings carry anything at all."""
    columns = [f"logit_{c}" for c in classes]
    rows, losses, baseline = {}, [], []
    for group in sorted(table["group"].unique()):
        held, rest = table[table["group"] == group], table[table["group"] != group]
        y, y_rest = held["y"].to_numpy(), rest["y"].to_numpy()
        temperature = fit_temperature(rest[columns].to_numpy(), y_rest)
        logp = log_softmax(held[columns].to_numpy(dtype=np.float64) / temperature, axis=1)
        prior = (np.bincount(y_rest, minlength=len(classes)) + 1.0) / (len(y_rest) + len(classes))
        losses.append(-logp[np.arange(len(y)), y])
        baseline.append(-np.log(prior[y]))
        rows[group] = {"images": len(y), "temperature": temperature, "nll": float(losses[-1].mean()),
                       "prior_nll": float(baseline[-1].mean())}
    rows["pooled"] = {"images": len(table), "nll": float(np.concatenate(losses).mean()),
                      "prior_nll": float(np.concatenate(baseline).mean())}
    return rows


def summarise(frame: pd.DataFrame, n_boot: int = 1000) -> dict:
    """Coverage, labelled accuracy, ECE, set coverage and size, familiarity gap: the shares with
    Wilson 95% CIs, the ECE with its bootstrap spread (no CI: cxr.evaluation.metrics)."""
    labelled = frame[frame["labelled"]]
    probs = _probs(frame)

    familiar, unfamiliar = frame[~frame["unfamiliar"]], frame[frame["unfamiliar"]]
    return {
        "images": len(frame),
        "coverage": proportion(int(frame["labelled"].sum()), len(frame)),
        "labelled_accuracy": proportion(int(labelled["correct"].sum()), len(labelled)),
        "accuracy_all": proportion(int(frame["correct"].sum()), len(frame)),
        "ece": bootstrap_statistic(
            frame, lambda f: expected_calibration_error(f["y"], _probs(f)), n_boot=n_boot)
        if len(frame) else None,
        "set_coverage": proportion(int(frame["covered"].sum()), len(frame)),
        "mean_set_size": float(frame["set_size"].mean()),
        "unfamiliar_share": proportion(int(frame["unfamiliar"].sum()), len(frame)),
        "accuracy_familiar": proportion(int(familiar["correct"].sum()), len(familiar)),
        "accuracy_unfamiliar": proportion(int(unfamiliar["correct"].sum()), len(unfamiliar)),
        "mean_max_probability": float(probs.max(axis=1).mean()) if len(frame) else None,
    }


def measure(table: pd.DataFrame, classes: list[str], rule: str, target: float,
            confidence: float, n_boot: int = 1000) -> dict:
    """Left-out-group measurements: per group, pooled, and the mean over groups."""
    frame = left_out_readings(table, classes, rule, target, confidence)
    per_group = {g: summarise(f, n_boot) for g, f in frame.groupby("group", sort=True)}
    return {"rule": rule, "target_accuracy": target, "set_confidence": confidence,
            "pooled": summarise(frame, n_boot), "by_group": per_group,
            "aurc": area_under_risk_coverage(_scores(frame, rule), frame["correct"].to_numpy())}


def compare_rules(table: pd.DataFrame, classes: list[str], target: float,
                  confidence: float) -> dict[str, dict]:
    """Each candidate rule measured the same way (few bootstraps: a first look, not the report)."""
    return {rule: measure(table, classes, rule, target, confidence, n_boot=50) for rule in RULES}


def risk_coverage_by_group(frame: pd.DataFrame, rule: str) -> Mapping[str, dict]:
    """Risk-coverage curves of the left-out readings, per group (for the plot)."""
    return {g: risk_coverage(_scores(f, rule), f["correct"].to_numpy())
            for g, f in frame.groupby("group", sort=True)}


def choose_rule(comparison: Mapping[str, dict], target: float) -> str:
    """The rule labelling the most left-out images while its labels stay right >= `target`
    pooled; where none does, the one with the lowest area under its risk-coverage curve."""
    reaching = {rule: m["pooled"]["coverage"]["value"] for rule, m in comparison.items()
                if (m["pooled"]["labelled_accuracy"]["value"] or 0.0) >= target}
    if reaching:
        return max(reaching, key=reaching.get)
    return min(comparison, key=lambda rule: comparison[rule]["aurc"])


def measured_by(rule_chosen_here: bool, rules: int) -> str:
    """How the left-out measurements were made, in words (the protocol's `measured_by`): the
    parameters of every group's row are fitted without it; the rule, unless named, is chosen on
    these same rows."""
    how = "each held-out group read with parameters fitted on the other groups only"
    if rule_chosen_here:
        return (f"{how}; the rule itself chosen, of the {rules} compared, on these same left-out "
                "measurements (not nested: they can flatter it a little)")
    return f"{how}; the rule named, not chosen on these measurements"


def fit_and_measure(oos_dir: str | Path, target: float = 0.9, confidence: float = 0.9,
                    rule: str = "auto", n_boot: int = 1000) -> tuple[TrustParameters, dict, pd.DataFrame]:
    """Everything `python -m cxr trust` reports: the shipped parameters (fitted on all groups),
    the left-out-group measurements of the chosen rule, the comparison of all rules, and the
    left-out readings themselves (for the plot)."""
    table, classes, protocol = load_readings(oos_dir)
    comparison = compare_rules(table, classes, target, confidence)
    chosen_here = rule == "auto"
    if chosen_here:
        rule = choose_rule(comparison, target)
    measured = measure(table, classes, rule, target, confidence, n_boot)
    params = fit(table, classes, rule, target, confidence)
    params.protocol = {**protocol, "measured_by": measured_by(chosen_here, len(comparison)),
                       "rule_chosen_on_measurements": chosen_here}
    params.measured = {"pooled": measured["pooled"], "by_group": measured["by_group"],
                       "aurc": measured["aurc"],
                       "rules_compared": {r: {"aurc": m["aurc"],
                                              "coverage": m["pooled"]["coverage"]["value"],
                                              "labelled_accuracy": m["pooled"]["labelled_accuracy"]["value"]}
                                          for r, m in comparison.items()}}
    readings = left_out_readings(table, classes, rule, target, confidence)
    return params, measured, readings


def report_rows(measured: dict) -> list[list[str]]:
    """One row per held-out group, then pooled: the numbers the done-criteria name, with CIs."""
    rows = []
    for name, m in [*measured["by_group"].items(), ("pooled", measured["pooled"])]:
        rows.append([
            name, str(m["images"]), format_estimate(m["coverage"]), format_estimate(m["labelled_accuracy"]),
            format_estimate(m["accuracy_all"]), format_estimate(m["ece"]),
            format_estimate(m["set_coverage"]), f"{m['mean_set_size']:.2f}",
            format_estimate(m["unfamiliar_share"]), format_estimate(m["accuracy_familiar"]),
            format_estimate(m["accuracy_unfamiliar"]),
        ])
    return rows


REPORT_HEADER = ("held-out group", "images", "coverage", "labelled right", "all right",
                 f"ECE ({ECE_SPREAD})",
                 "set coverage", "mean set size", "unfamiliar", "right if familiar",
                 "right if unfamiliar")


def report_table(measured: dict) -> str:
    """The left-out-group measurements as one Markdown table (for the CLI and the results page)."""
    return table(REPORT_HEADER, report_rows(measured))
