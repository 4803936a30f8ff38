"""Fitting on out-of-source readings: each group is measured with parameters it did not shape."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxr.evaluation import trust

CLASSES = ["covid", "pneumonia", "normal"]


def _readings(seed: int = 0) -> pd.DataFrame:
    """Four source groups of different skill (c the weakest); far-from-training images (high ratio) are the
    ones the model gets wrong, as the familiarity score should find."""
    rng = np.random.default_rng(seed)
    parts = []
    for group, skill, n in (("a", 4.5, 400), ("b", 3.0, 300), ("c", 1.0, 300), ("d", 4.0, 500)):
        y = rng.integers(0, 3, n)
        logits = rng.normal(size=(n, 3))
        right = rng.uniform(size=n) < 0.5 + skill / 10
        logits[np.arange(n), np.where(right, y, (y + 1) % 3)] += skill
        ratio = np.where(right, rng.uniform(0.2, 1.2, n), rng.uniform(0.8, 2.0, n))
        parts.append(pd.DataFrame({"group": group, "y": y, "knn_ratio": ratio,
                                   **{f"logit_{c}": logits[:, i] for i, c in enumerate(CLASSES)}}))
    return pd.concat(parts, ignore_index=True)


def test_labelled_readings_reach_the_target_where_the_model_can_read():
    table = _readings()
    measured = trust.measure(table, CLASSES, "max_probability", 0.9, 0.9, n_boot=20)
    # d is read with the threshold the other groups set: a, strong as well, lets it promise 0.9.
    strong = measured["by_group"]["d"]
    assert strong["labelled_accuracy"]["value"] >= 0.85 and strong["coverage"]["value"] > 0.1
    # The weak group abstains far more: the honest answer for a source it cannot read.
    assert measured["by_group"]["c"]["coverage"]["value"] < strong["coverage"]["value"]
    assert 0.8 <= measured["pooled"]["set_coverage"]["value"] <= 1.0


def test_each_group_is_read_with_parameters_fitted_without_it():
    """Every parameter a held-out group is read with (temperature, set thresholds, familiarity
    threshold, label threshold) is the one fitted on the other groups; where the fit on all
    groups gives another, the readings show it (the statistics audit: only the temperature was
    checked)."""
    from cxr.inference.abstention import prediction_sets

    table = _readings()
    left_out = trust.left_out_readings(table, CLASSES, "max_probability", 0.9, 0.9)
    with_all = trust.fit(table, CLASSES, "max_probability", 0.9, 0.9)
    differs = {"temperature": 0, "sets": 0, "unfamiliar": 0, "labelled": 0}
    for group in "abcd":
        held = table["group"] == group
        without = trust.fit(table[~held], CLASSES, "max_probability", 0.9, 0.9)
        frame = left_out.loc[held]
        logits = table.loc[held, [f"logit_{c}" for c in CLASSES]].to_numpy()
        for fitted in (without, with_all):
            expected = np.exp(logits / fitted.temperature)
            probs = expected / expected.sum(axis=1, keepdims=True)
            ratio = table.loc[held, "knn_ratio"].to_numpy()
            read = {"temperature": np.allclose(frame[[f"p_{c}" for c in CLASSES]].to_numpy(), probs),
                    "sets": np.array_equal(frame[[f"in_{c}" for c in CLASSES]].to_numpy(),
                                           prediction_sets(probs, fitted.set_thresholds)),
                    "unfamiliar": np.array_equal(frame["unfamiliar"].to_numpy(), ratio > fitted.familiarity_threshold),
                    "labelled": np.array_equal(frame["labelled"].to_numpy(),
                                               trust._scores(frame, "max_probability") >= fitted.threshold)}
            if fitted is without:
                assert all(read.values()), (group, read)
            else:
                differs.update({k: differs[k] + (not v) for k, v in read.items()})
    # The all-groups fit would have read them otherwise, for every parameter, somewhere.
    assert all(differs.values()), differs


def test_familiarity_flags_the_readings_that_are_less_accurate():
    measured = trust.measure(_readings(), CLASSES, "max_probability", 0.9, 0.9, n_boot=20)
    pooled = measured["pooled"]
    assert pooled["accuracy_unfamiliar"]["value"] < pooled["accuracy_familiar"]["value"] - 0.2
    assert 0.05 <= pooled["unfamiliar_share"]["value"] <= 0.5


def test_the_rule_chosen_labels_most_while_reaching_the_target():
    comparison = {
        "a": {"pooled": {"coverage": {"value": 0.7}, "labelled_accuracy": {"value": 0.91}}, "aurc": 0.1},
        "b": {"pooled": {"coverage": {"value": 0.8}, "labelled_accuracy": {"value": 0.89}}, "aurc": 0.05},
        "c": {"pooled": {"coverage": {"value": 0.6}, "labelled_accuracy": {"value": 0.95}}, "aurc": 0.2},
    }
    assert trust.choose_rule(comparison, 0.9) == "a"
    assert trust.choose_rule(comparison, 0.99) == "b"  # none reaches it: the lowest AURC


def test_parameters_serialise_for_the_card():
    table = _readings()
    # No threshold reaches 0.99: label nothing, which JSON (no infinity) carries as None.
    params = trust.fit(table, CLASSES, "margin", 0.99, 0.9)
    out = json.loads(json.dumps(params.to_dict(), allow_nan=False))
    assert params.threshold == np.inf and out["threshold"] is None
    assert out["rule"] == "margin" and len(out["set_thresholds"]) == 3
    # One that is reached is carried as it is, and its labels keep their promise on the readings
    # it was fitted on.
    fitted_on = table[table["group"] != "c"]
    params = trust.fit(fitted_on, CLASSES, "margin", 0.9, 0.9)
    out = json.loads(json.dumps(params.to_dict(), allow_nan=False))
    assert np.isfinite(params.threshold) and out["threshold"] == params.threshold
    frame = trust._readings(fitted_on, CLASSES, params.temperature, params.set_thresholds,
                            params.familiarity_threshold)
    labelled = trust._scores(frame, "margin") >= out["threshold"]
    assert labelled.sum() >= 30 and frame.loc[labelled, "correct"].mean() >= 0.9


def test_readings_take_the_familiarity_ratio_from_the_csv_when_the_folds_wrote_it(tmp_path):
    (tmp_path / "protocol.json").write_text(json.dumps({"groups": {"a": ["s1"], "b": ["s2"]}}))
    table = pd.DataFrame({"path": ["x.png", "y.png"], "label": ["covid", "normal"], "source": ["s1", "s2"],
                          "group": ["a", "b"], "logit_covid": [1.0, -1.0], "logit_pneumonia": [0.0, 0.0],
                          "logit_normal": [-1.0, 1.0], "knn_ratio": [0.4, 1.7]})
    table.to_csv(tmp_path / "oos_predictions.csv", index=False)
    readings, classes, _ = trust.load_readings(tmp_path)
    assert classes == ["covid", "pneumonia", "normal"]
    assert list(readings["knn_ratio"]) == [0.4, 1.7] and list(readings["y"]) == [0, 2]
    # Older folders have no ratio column: it is computed from the folds' features, so they must be there.
    table.drop(columns="knn_ratio").to_csv(tmp_path / "oos_predictions.csv", index=False)
    with pytest.raises(FileNotFoundError):
        trust.load_readings(tmp_path)


def _oos_folder(tmp_path, table: pd.DataFrame):
    """`table` as the folder of `python -m cxr out-of-source` (its CSV and protocol)."""
    groups = sorted(table["group"].unique())
    (tmp_path / "protocol.json").write_text(json.dumps({"groups": {g: [g] for g in groups}}))
    table.assign(path=[f"{i}.png" for i in range(len(table))],
                 label=[CLASSES[k] for k in table["y"]]).to_csv(tmp_path / "oos_predictions.csv", index=False)
    return tmp_path


def test_the_ece_is_shown_with_its_bootstrap_spread_not_as_a_ci(tmp_path):
    """The binned ECE runs high and its bootstrap range with it (cxr.evaluation.metrics): the
    table and the page call that range what it is."""
    import argparse

    from cxr.cli.trust import render_page

    params, measured, _ = trust.fit_and_measure(_oos_folder(tmp_path, _readings()), n_boot=20)
    header = trust.report_table(measured).splitlines()[0]
    assert "| ECE (bootstrap spread) |" in header
    args = argparse.Namespace(oos_dir=tmp_path, target=0.9, confidence=0.9, rule="auto", model_dir=None,
                              record_only=False, shared=None, out=None, n_boot=20, report=tmp_path / "p.md")
    page = " ".join(render_page(params, measured, args).split())
    assert "bootstrap over images for ECE" not in page
    assert "The ECE's range is no confidence interval but its bootstrap spread over images" in page


@pytest.mark.parametrize("rule", ["auto", "margin"])
def test_the_protocol_says_whether_the_rule_was_chosen_on_the_rows_it_reports(tmp_path, rule):
    """The statistics audit: the rule is chosen (`choose_rule` over `compare_rules`) on the very
    left-out measurements then reported, not in a nested loop; only the parameters of each row
    are fitted without its group. What the protocol and the page say must match what was done."""
    import argparse

    from cxr.cli.trust import render_page

    table = _readings()
    params, measured, _ = trust.fit_and_measure(_oos_folder(tmp_path, table), rule=rule, n_boot=20)
    args = argparse.Namespace(oos_dir=tmp_path, target=0.9, confidence=0.9, rule=rule, model_dir=None,
                              record_only=False, shared=None, out=None, n_boot=20, report=tmp_path / "p.md")
    page = " ".join(render_page(params, measured, args).split())
    if rule == "auto":
        # Chosen on the same rows: the comparison of the left-out measurements picks it.
        assert params.rule == trust.choose_rule(trust.compare_rules(table, CLASSES, 0.9, 0.9), 0.9)
        assert params.protocol["rule_chosen_on_measurements"] is True
        assert (f"chosen, of the {len(trust.RULES)} compared, on these same left-out measurements"
                in params.protocol["measured_by"])
        assert f"The rule itself was chosen on these same rows, of the {len(trust.RULES)} compared below" in page
    else:
        assert params.rule == "margin" and params.protocol["rule_chosen_on_measurements"] is False
        assert "not chosen on these measurements" in params.protocol["measured_by"]
        assert "The rule was named (--rule margin), not chosen on these rows." in page
    assert "fitted on the other groups only" in params.protocol["measured_by"]


def test_left_out_log_loss_against_baselines_that_ignore_the_image():
    """The statistics audit: at the temperature's bound the ECE is about |accuracy - mean
    confidence|; the log loss says whether the probabilities carry anything. Readings that carry
    nothing score as giving every class 1/C; skilled ones beat it; the prior baseline is the
    other groups' class shares (add-one)."""
    import math

    table = _readings()
    losses = trust.left_out_log_loss(table, CLASSES)
    assert set(losses) == {"a", "b", "c", "d", "pooled"} and losses["pooled"]["images"] == len(table)
    assert losses["pooled"]["nll"] < math.log(3) - 0.2  # groups a, b and d read well
    held, rest = table[table["group"] == "a"], table[table["group"] != "a"]
    shares = (np.bincount(rest["y"], minlength=3) + 1) / (len(rest) + 3)
    assert losses["a"]["prior_nll"] == pytest.approx(-np.log(shares[held["y"]]).mean())
    pooled = sum(losses[g]["nll"] * losses[g]["images"] for g in "abcd") / len(table)
    assert losses["pooled"]["nll"] == pytest.approx(pooled)
    # Logits that say nothing (the same for every X-ray): exactly the uniform guess.
    blind = table.assign(**{f"logit_{c}": 0.0 for c in CLASSES})
    assert trust.left_out_log_loss(blind, CLASSES)["pooled"]["nll"] == pytest.approx(math.log(3))
