"""Evaluation reports: per-source accuracy, calibration, files written, and a real checkpoint."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cxr.evaluation.metrics import softmax_probs
from cxr.evaluation.plots import plot_curves
from cxr.evaluation.report import (
    evaluate_predictions,
    per_source_accuracy,
    render_markdown,
    wilson_interval,
    write_outputs,
)

CLASSES = ["covid", "pneumonia", "normal"]


def _frame(labels, sources):
    return pd.DataFrame({
        "path": [f"/data/{i}.png" for i in range(len(labels))],
        "label": labels,
        "y": [CLASSES.index(label) for label in labels],
        "source": sources,
    })


def _logits_for(predicted, margin=2.0):
    logits = np.zeros((len(predicted), len(CLASSES)))
    logits[np.arange(len(predicted)), predicted] = margin
    return logits


def _assert_png(path, min_side=100):
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert min(img.size) >= min_side
        pixels = np.asarray(img.convert("L"))
    assert pixels.std() > 5, f"{path} looks blank"


def test_per_source_accuracy_by_hand():
    frame = _frame(
        ["covid", "covid", "covid", "normal", "normal", "pneumonia"],
        ["cohen", "cohen", "raddb", "raddb", "raddb", "nih"],
    )
    predicted = np.array([0, 2, 0, 2, 0, 1])
    out = per_source_accuracy(frame, predicted)
    assert out["cohen"]["n"] == 2 and out["cohen"]["accuracy"]["value"] == pytest.approx(0.5)
    assert out["raddb"]["accuracy"]["value"] == pytest.approx(2 / 3)
    assert out["raddb"]["by_label"] == {"covid": 1, "normal": 2}
    assert out["nih"]["accuracy"]["value"] == pytest.approx(1.0)
    lo, hi = out["nih"]["accuracy"]["ci95"]
    assert 0.0 < lo < 1.0 and hi == pytest.approx(1.0)  # one image proves little


def test_wilson_interval_known_value():
    # 8 of 10: the textbook Wilson interval is 0.490-0.943.
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3)
    assert hi == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 0) == [None, None]


def _overconfident_set(n, rng):
    y = rng.integers(0, 3, n)
    right = rng.random(n) < 0.7
    predicted = np.where(right, y, (y + 1) % 3)
    return y, _logits_for(predicted, margin=6.0)  # 99% sure, 70% right


def test_temperature_from_validation_improves_test_calibration():
    rng = np.random.default_rng(0)
    y_val, logits_val = _overconfident_set(400, rng)
    y_test, logits_test = _overconfident_set(400, rng)
    frames = {
        "val": _frame([CLASSES[k] for k in y_val], ["a"] * 400),
        "test": _frame([CLASSES[k] for k in y_test], ["a"] * 200 + ["b"] * 200),
    }
    result = evaluate_predictions(frames, {"val": logits_val, "test": logits_test}, CLASSES,
                                  n_boot=200)
    assert result["temperature"] > 1.5  # overconfident logits get softened
    test = result["subsets"]["test"]
    assert test["ece_after_temperature"] < test["ece"]["value"] / 2
    assert test["nll_after_temperature"] < test["nll"]
    assert test["accuracy"]["value"] == pytest.approx(
        np.mean(logits_test.argmax(1) == y_test))
    assert sum(s["n"] for s in test["per_source"].values()) == 400


def test_reports_and_figures_are_written(tmp_path, xray_paths):
    rng = np.random.default_rng(1)
    # Real file paths and sources, so the predictions file points at images a person can open.
    paths = [p for label in CLASSES for p in xray_paths[label][:6]]
    labels = [label for label in CLASSES for _ in xray_paths[label][:6]]
    frame = pd.DataFrame({
        "path": [str(p) for p in paths], "label": labels,
        "y": [CLASSES.index(lab) for lab in labels],
        "source": [p.name.split("__")[0] for p in paths],
    })
    logits = rng.normal(size=(len(frame), 3)) + 2 * np.eye(3)[frame["y"]]
    frames, all_logits = {"val": frame, "test": frame}, {"val": logits, "test": logits}
    result = evaluate_predictions(frames, all_logits, CLASSES, n_boot=100)
    metrics_json = write_outputs(result, frames, all_logits, tmp_path, title="Test run")

    def reject_nan(token):
        raise AssertionError(f"{token} in metrics.json")

    saved = json.loads(metrics_json.read_text(), parse_constant=reject_nan)
    assert set(saved["subsets"]) == {"val", "test"}
    assert saved["subsets"]["test"]["n"] == len(frame)
    for name in ("val", "test"):
        for kind in ("confusion", "roc", "reliability"):
            _assert_png(tmp_path / f"{kind}_{name}.png")
    predictions = pd.read_csv(tmp_path / "predictions_test.csv")
    probs = predictions[[f"p_{c}" for c in CLASSES]].to_numpy()
    assert np.allclose(probs, softmax_probs(logits))
    assert list(predictions["predicted"]) == [CLASSES[k] for k in logits.argmax(1)]

    markdown = (tmp_path / "metrics.md").read_text()
    assert markdown.startswith("# Test run")
    assert "| Validation | 18 |" in markdown and "| Test | 18 |" in markdown
    assert "RT-PCR" in markdown  # never presented as a diagnosis
    for source in frame["source"].unique():
        assert f"| {source} |" in markdown
    assert markdown == render_markdown(result, "Test run")


def test_metrics_md_says_which_interval_each_figure_has():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 60)
    frames = {"test": _frame([CLASSES[k] for k in y], ["a"] * 60)}
    result = evaluate_predictions(frames, {"test": _logits_for(y)}, CLASSES, n_boot=50)
    header = render_markdown(result).split("## As reported in the paper")[0]
    assert ("- 95% intervals in brackets: Wilson score intervals for accuracy, sensitivity, "
            "specificity and PPV; percentile bootstrap for AUC and macro recall (resampled within "
            "each true class; no AUC interval for a class with fewer than 10 positives or "
            "negatives) and for macro precision (resampled over all images); the ECE's "
            "range is not a confidence interval but the bootstrap spread of the binned ECE") in header
    # Where the ECE is written, its range is named for what it is.
    ece = result["subsets"]["test"]["ece"]
    assert (f"- ECE (top label, 15 bins; in brackets its bootstrap spread, not a 95% CI): "
            f"{ece['value']:.3f} ({ece['ci95'][0]:.3f}-{ece['ci95'][1]:.3f})") in render_markdown(result)
    assert "stratified" not in header
    # A metrics.json written before the Wilson intervals is described as what it is.
    del result["subsets"]["test"]["intervals"]
    older = render_markdown(result)
    assert ("percentile bootstrap within each true class (stratified) for every figure; the ECE's "
            "range is not a confidence interval") in older
    assert "calibration error (50 resamples)" in older


def test_plot_curves_from_a_history_file(tmp_path):
    history = tmp_path / "history.csv"
    history.write_text(
        "epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds\n"
        "1,0.0001,0.9,0.60,0.8,0.62,10\n2,0.0001,0.6,0.75,0.7,0.70,10\n"
        "3,0.0001,0.4,0.85,0.65,0.74,10\n"
    )
    _assert_png(plot_curves(history, tmp_path / "curves.png"))


@pytest.mark.train
@pytest.mark.slow
def test_evaluate_command_on_a_real_checkpoint(trained_run, tiny_split_csv, toolkit_cache_dir,
                                               tmp_path):
    from cxr.cli import main as cli_main
    from cxr.data.cache import cached_images
    from cxr.data.splits import read_split
    from cxr.training.loop import load_checkpoint, predict_logits

    out = tmp_path / "eval"
    caches_before = sorted(toolkit_cache_dir.iterdir())
    code = cli_main(["evaluate", str(trained_run), "--n-boot", "100", "--out", str(out),
                     "--device", "cpu", "--cache-dir", str(toolkit_cache_dir)])
    assert code == 0
    # Evaluation reads the training run's image cache instead of decoding the images again.
    assert sorted(toolkit_cache_dir.iterdir()) == caches_before
    metrics = json.loads((out / "metrics.json").read_text())
    split = read_split(tiny_split_csv)
    for name in ("val", "test"):
        rows = split[split["subset"] == name]
        assert metrics["subsets"][name]["n"] == len(rows)
        assert sum(metrics["subsets"][name]["support"].values()) == len(rows)
        per_source = metrics["subsets"][name]["per_source"]
        assert {s: v["n"] for s, v in per_source.items()} == rows["source"].value_counts().to_dict()
    assert metrics["arch"] == "EfficientNet-Lite0"
    assert metrics["temperature"] > 0
    for kind in ("confusion", "roc", "reliability"):
        _assert_png(out / f"{kind}_test.png")
    assert "## As reported in the paper" in (out / "metrics.md").read_text()

    # The probabilities in the report are the reloaded model's on the cached test images.
    model, ckpt = load_checkpoint(trained_run / "best.pt")
    test_rows = split[split["subset"] == "test"].reset_index(drop=True)
    images = np.array(cached_images(list(test_rows["path"]), ckpt["img_size"], ckpt["contrast"],
                                    tmp_path / "own-cache", progress=False))
    expected = softmax_probs(predict_logits(model, images, ckpt["img_size"], 8, "cpu"))
    predictions = pd.read_csv(out / "predictions_test.csv")
    assert list(predictions["path"]) == list(test_rows["path"])
    assert np.allclose(predictions[[f"p_{c}" for c in ckpt["classes"]]].to_numpy(), expected,
                       atol=1e-5)

    # --subset restricts the report to one set.
    only_test = tmp_path / "only-test"
    assert cli_main(["evaluate", str(trained_run / "best.pt"), "--subset", "test", "--n-boot",
                     "50", "--out", str(only_test), "--device", "cpu"]) == 0
    assert set(json.loads((only_test / "metrics.json").read_text())["subsets"]) == {"test"}
    # Without --cache-dir, the cache folder recorded in the checkpoint is used: nothing new.
    assert sorted(toolkit_cache_dir.iterdir()) == caches_before


def test_evaluate_command_without_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    from cxr.cli import main as cli_main

    assert cli_main(["evaluate", str(tmp_path)]) == 2
    assert f"no checkpoint at {tmp_path / 'best.pt'}" in capsys.readouterr().err


def test_flip_tta_averages_the_logits_of_each_image_and_its_mirror(trained_run, tiny_split_csv,
                                                                   toolkit_cache_dir, tmp_path):
    from cxr.cli import main as cli_main
    from cxr.data.cache import cached_images
    from cxr.data.splits import read_split
    from cxr.training.loop import load_checkpoint, predict_logits

    out = tmp_path / "eval-tta"
    assert cli_main(["evaluate", str(trained_run), "--subset", "test", "--tta", "flip", "--n-boot",
                     "50", "--out", str(out), "--device", "cpu",
                     "--cache-dir", str(toolkit_cache_dir)]) == 0
    assert json.loads((out / "metrics.json").read_text())["tta"] == "flip"

    model, ckpt = load_checkpoint(trained_run / "best.pt")
    split = read_split(tiny_split_csv)
    test_rows = split[split["subset"] == "test"].reset_index(drop=True)
    images = np.array(cached_images(list(test_rows["path"]), ckpt["img_size"], ckpt["contrast"],
                                    tmp_path / "own-cache", progress=False))
    plain = predict_logits(model, images, ckpt["img_size"], 8, "cpu")
    mirrored = predict_logits(model, np.ascontiguousarray(images[:, :, ::-1]), ckpt["img_size"], 8, "cpu")
    assert not np.allclose(plain, mirrored, atol=1e-4)  # the mirror is a different input
    predictions = pd.read_csv(out / "predictions_test.csv")
    assert np.allclose(predictions[[f"p_{c}" for c in ckpt["classes"]]].to_numpy(),
                       softmax_probs((plain + mirrored) / 2), atol=1e-5)


@pytest.mark.parametrize("n_boot", [100, 0])  # 0: no bootstrap, the AUC and ECE get no interval
def test_the_figures_give_the_reports_intervals(tmp_path, monkeypatch, n_boot):
    """`cxr evaluate`'s figures drew bare AUCs and ECE and no per-bin intervals, though its
    report holds them (the model card's figures give them)."""
    from cxr.evaluation import plots

    titles, legends = [], []
    save = plots._save

    def keep(fig, out_png):
        titles.extend(ax.get_title() for ax in fig.axes)
        legends.extend(t.get_text() for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
                       if legend is not None for t in legend.get_texts())
        return save(fig, out_png)

    monkeypatch.setattr(plots, "_save", keep)
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(3), 40)
    frame = pd.DataFrame({"path": [f"x{i}.png" for i in range(120)], "label": [CLASSES[k] for k in y],
                          "y": y, "source": "s"})
    logits = rng.normal(size=(120, 3)) + 2 * np.eye(3)[y]
    result = evaluate_predictions({"test": frame}, {"test": logits}, CLASSES, n_boot=n_boot)
    write_outputs(result, {"test": frame}, {"test": logits}, tmp_path)
    test = result["subsets"]["test"]
    ece_title = next(t for t in titles if "ECE" in t)
    covid = next(t for t in legends if t.startswith("covid: AUC"))
    if n_boot:
        low, high = test["ece"]["ci95"]
        assert ece_title.endswith(f"(bootstrap spread {low:.3f}-{high:.3f})")
        low, high = test["per_class"]["covid"]["auc"]["ci95"]
        assert covid.endswith(f"(95% CI {low:.3f}-{high:.3f})")
        assert "95% interval" in legends  # the bins' whiskers
    else:
        assert "95% CI" not in ece_title and "95% CI" not in covid
