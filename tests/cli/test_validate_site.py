"""`python -m cxr validate-site`: real X-rays with known labels in, a dated report out."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxr.cli import main


def test_report_of_real_labelled_xrays(cxr_dir, xray_paths, tmp_path, capsys):
    rows = [(p.relative_to(cxr_dir).as_posix(), label) for label in sorted(xray_paths)
            for p in xray_paths[label][:4]]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in rows)
                      + "does-not-exist.png,normal\n")
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out),
                 "--n-boot", "20"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["cases"] == len(rows) + 1 and report["unreadable"] == 1
    assert report["read"] + report["refused"] + report["unreadable"] == report["cases"]
    assert report["verdict"]["code"] == "too_few_cases"  # 12 X-rays cannot validate anything
    assert report["date"] and report["model_version"]
    assert (out / "reliability.png").exists()
    text = (out / "report.md").read_text()
    assert "Not enough cases to judge" in text and "not a diagnosis" in text
    # Refusals of the readable X-rays (the unreadable file is not one), judged against the guard's 2%.
    assert report["refused_share"]["n"] == len(rows)
    assert report["refusal_check"]["code"] in {"within_budget", "inconclusive", "above_budget"}
    assert report["refusal_check"]["text"] in text and "| refused as not a chest X-ray |" in text
    assert "Not enough cases" in capsys.readouterr().out
    # The card's figures, read as the web page reads them (site_check.card_figures): the source
    # split's accuracy beside the site's most likely class, and the refusal target beside what the
    # card measured, named as a target (it is not a measurement).
    card = json.loads((Path(report_model_dir()) / "model_card.json").read_text())
    unseen = card["metrics"]["source"]["accuracy"]["value"]
    assert report["card"]["unseen_accuracy"] == unseen
    assert "| most likely class right (every read X-ray, labelled or not) | " in text
    assert f"collections it never saw (a model trained the same way without them): {unseen:.3f} (" in text
    measured = [v["test_xrays"]["value"] for v in card["verifier"]["sources_left_out"].values()]
    assert report["card"]["refused_unseen_sources"]["groups"] == len(measured)
    assert (f"| target: at most 2%; measured: {min(measured):.1%}-{max(measured):.1%} of the test X-rays "
            f"of {len(measured)} collections, each left out of the chest X-ray check's fit |") in text
    assert "it refuses of hospitals" not in text
    # Too few read X-rays to say what calibrating here would give, and the report says so.
    assert report["calibrated_here"] is None and "at least 40 are needed" in text
    # The calibration plot's numbers: every read X-ray in one bin, each bin with its 95% interval.
    bins = report["calibration"]
    assert sum(b["right"]["n"] for b in bins) == report["read"]
    assert "## Do its stated chances hold here?" in text
    for b in bins:
        lo, hi = b["right"]["ci95"]
        assert lo <= b["right"]["value"] <= hi and f"| {b['right']['n']} |" in text


def report_model_dir() -> Path:
    from cxr.inference import resolve_model_dir

    return resolve_model_dir(None)


def test_bad_labels_are_refused_with_the_line(cxr_dir, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\na.png,covid\nb.png,tuberculosis\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path)]) == 2
    assert "line 3" in capsys.readouterr().err
    labels.write_text("name,diagnosis\na.png,covid\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path)]) == 2
    assert "file,label" in capsys.readouterr().err
    # A stray quote swallows the rest into one field, past the csv module's limit: refused, not a traceback.
    labels.write_text('file,label\n"a.png,covid\n' + "b.png,normal\n" * 12_000)
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path)]) == 2
    assert "not readable as CSV (field larger than field limit" in capsys.readouterr().err


def _spread_cases(cxr_manifest, per_class: int, skip: int = 0) -> list[tuple[str, str]]:
    """`per_class` files of each class spread over the sorted manifest (so every source shows up),
    starting `skip` files into each stride."""
    rows = []
    for label in ("covid", "pneumonia", "normal"):
        files = sorted(r["file"] for r in cxr_manifest if r["label"] == label)
        stride = len(files) // per_class
        rows += [(files[i * stride + skip], label) for i in range(per_class)]
    return rows


def test_a_site_calibration_fitted_here_is_served_by_predict(cxr_dir, cxr_manifest, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in _spread_cases(cxr_manifest, 40)))
    calibration_file = tmp_path / "site_calibration.json"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "report"),
                 "--n-boot", "20", "--calibration-out", str(calibration_file), "--site", "Test ward"]) == 0
    assert "site calibration:" in capsys.readouterr().out
    calibration = json.loads(calibration_file.read_text())
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert calibration["cases"] == report["read"] >= 100 and calibration["site"] == "Test ward"
    assert calibration["model_version"] == report["model_version"]
    assert sum(calibration["cases_by_class"].values()) == calibration["cases"]

    # Other X-rays of the same collections, read through it: every reading has a set; a label
    # quotes the site's own figures instead of the out-of-source caveat; no label, the site's reason.
    others = [str(cxr_dir / f) for f, _ in _spread_cases(cxr_manifest, 4, skip=1)]
    assert main(["predict", "--json", "--site-calibration", str(calibration_file), *others]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(others)
    for line in lines:
        if line["rejected"] and not line["uncertain"]:
            continue  # refused as not a chest X-ray: no set, no label
        codes = {w["code"] for w in line["warnings"]}
        assert not any(code.startswith("label_unverified") for code in codes), json.dumps(line)
        # Class-conditional sets may keep no class at all (each class's threshold is its own 90%
        # of the site's cases of it): then no label, as for any reading its set does not back.
        assert isinstance(line["prediction_set"], list) and (line["prediction_set"] or not line["label"])
        if line["label"]:
            assert line["label"] in line["prediction_set"]
            assert codes & {"site_calibrated", "site_calibrated_unmeasured"}
        else:
            assert line["uncertain"] and "this site's own" in line["reason"]

    # Checked on other labelled cases, read through it: the report names the calibration.
    others_csv = tmp_path / "others.csv"
    others_csv.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in _spread_cases(cxr_manifest, 4, skip=1)))
    assert main(["validate-site", str(cxr_dir), "--labels", str(others_csv), "--out", str(tmp_path / "check"),
                 "--n-boot", "20", "--site-calibration", str(calibration_file)]) == 0
    checked = json.loads((tmp_path / "check" / "report.json").read_text())
    assert checked["site_calibration"]["cases"] == calibration["cases"]
    assert "Read through the site calibration" in (tmp_path / "check" / "report.md").read_text()
    capsys.readouterr()

    # Fitted on another model's readings: refused with the reason, nothing read.
    calibration["model_version"] = "some-other-model"
    (tmp_path / "other.json").write_text(json.dumps(calibration))
    assert main(["predict", "--json", "--site-calibration", str(tmp_path / "other.json"), others[0]]) == 1
    assert "validate-site" in capsys.readouterr().err


def test_a_calibration_of_too_few_cases_to_label_says_so_and_how_many_would(cxr_dir, cxr_manifest, tmp_path, capsys):
    """The statistics audit: with 40-58 read cases a site calibration can never label (half of
    them set its threshold, fewer than a label needs even all right), and its what-if (a quarter)
    cannot measure labelled accuracy. Both are said, with the cases a label would take."""
    from cxr.evaluation.local_calibration import threshold_cases
    from cxr.evaluation.selective import labelled_needed

    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in _spread_cases(cxr_manifest, 17)))
    target = tmp_path / "site_calibration.json"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "r"),
                 "--n-boot", "20", "--calibration-out", str(target)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    calibration = json.loads(target.read_text())
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    need = labelled_needed(calibration["target_accuracy"])
    read_y = [calibration["classes"].index(c) for c in _read_truths(tmp_path / "r")]
    setting = threshold_cases(read_y)
    assert 40 <= report["read"] < 2 * need and setting < need
    assert calibration["label_threshold"] is None
    assert (f"labels nothing: every reading through it will be shown as uncertain. Its label threshold is "
            f"set on {setting} of the cases (half of those read), and a label needs at least {need} "
            "readings above the threshold, every one right") in out
    assert f"about {2 * need} read cases or more" in out
    text = " ".join((tmp_path / "r" / "report.md").read_text().split())
    assert "**Labelled readings right cannot be measured here.**" in text
    assert f"about {4 * need} read cases or more" in text


def _read_truths(report_dir: Path) -> list[str]:
    """The known class of every read case (neither refused nor unreadable), from cases.csv."""
    import csv

    with open(report_dir / "cases.csv", newline="", encoding="utf-8") as f:
        return [row["true_label"] for row in csv.DictReader(f) if row["reading"] not in ("refused", "unreadable")]


def test_too_few_read_cases_write_no_calibration(cxr_dir, xray_paths, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{p.relative_to(cxr_dir).as_posix()},{label}\n"
                                               for label in sorted(xray_paths) for p in xray_paths[label][:3]))
    target = tmp_path / "site_calibration.json"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "r"),
                 "--n-boot", "20", "--calibration-out", str(target)]) == 3
    assert not target.exists() and "at least 40" in capsys.readouterr().err
    assert (tmp_path / "r" / "report.json").exists()  # the report itself was written


def _labels(tmp_path, cxr_dir, xray_paths, extra: str = "") -> Path:
    rows = [(p.relative_to(cxr_dir).as_posix(), label) for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in rows) + extra)
    return labels


def test_a_file_named_twice_is_refused_with_its_lines(cxr_dir, xray_paths, tmp_path, capsys):
    """A repeated row would count one X-ray as two cases (and narrow every interval); the same
    file with two labels is no diagnosis at all."""
    first = xray_paths["covid"][0].relative_to(cxr_dir).as_posix()
    labels = _labels(tmp_path, cxr_dir, xray_paths, extra=f"{first},covid\n./{first},normal\n")
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {labels} names 1 file(s) more than once: {first} on lines 2, 8, 9")
    assert not out.exists()


def test_unreadable_files_are_listed_with_their_error(cxr_dir, xray_paths, tmp_path, capsys):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "broken.png").write_bytes(xray_paths["normal"][0].read_bytes()[:300])
    (folder / "notes.txt").write_text("not an image")
    (folder / "good.png").write_bytes(xray_paths["normal"][0].read_bytes())
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\ngood.png,normal\nbroken.png,covid\nnotes.txt,normal\nmissing.png,pneumonia\n")
    out = tmp_path / "report"
    assert main(["validate-site", str(folder), "--labels", str(labels), "--out", str(out), "--n-boot", "20"]) == 0
    err = capsys.readouterr().err
    assert "could not read 3 of 4 files:" in err
    expected = {"broken.png": "corrupt_image", "notes.txt": "unsupported_format", "missing.png": "unreadable_file"}
    for name, code in expected.items():
        assert f"  {name}: {code}: " in err
    report = json.loads((out / "report.json").read_text())
    assert report["unreadable"] == 3
    assert {u["file"]: u["error"] for u in report["unreadable_files"]} == expected
    text = (out / "report.md").read_text()
    assert "## Files that could not be read" in text
    assert all(f"| {name} | {code} |" in text for name, code in expected.items())


def test_bad_folders_and_outputs_are_refused_before_reading(cxr_dir, xray_paths, tmp_path, capsys, monkeypatch):
    from cxr.inference import Predictor

    def no_reading(*args, **kwargs):
        raise AssertionError("X-rays were read before the outputs were checked")

    monkeypatch.setattr(Predictor, "predict_batch", no_reading)
    labels = _labels(tmp_path, cxr_dir, xray_paths)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    cases = [
        ([str(tmp_path / "no-such-folder"), "--out", str(tmp_path / "r")], "no-such-folder does not exist"),
        ([str(cxr_dir), "--out", str(a_file)], "is a file, not a folder"),
        ([str(cxr_dir), "--out", str(tmp_path / "r"), "--calibration-out", str(tmp_path)], "is a folder"),
        ([str(cxr_dir), "--labels", str(tmp_path / "none.csv"), "--out", str(tmp_path / "r")], "none.csv does not exist"),
    ]
    for args, message in cases:
        assert main(["validate-site", "--labels", str(labels), *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_labels_not_in_utf8_name_the_file_and_the_fix(cxr_dir, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_bytes("file,label\nr\u00e9sum\u00e9.png,normal\n".encode("latin-1"))
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"error: {labels} is not UTF-8" in err and "save it as UTF-8" in err


def test_too_few_bootstrap_resamples_are_a_usage_error(cxr_dir, tmp_path, capsys):
    for n in ("-1", "0", "1", "9"):
        with pytest.raises(SystemExit) as exit_:
            main(["validate-site", str(cxr_dir), "--labels", str(tmp_path / "l.csv"), "--n-boot", n])
        assert exit_.value.code == 2 and "argument --n-boot" in capsys.readouterr().err


def _read_pool(cxr_dir, cxr_manifest, step: int = 60) -> list[tuple[str, str, object]]:
    """(file, label, Prediction) of every `step`-th shared X-ray, read by the bundled model."""
    from cxr.inference import Predictor

    rows = sorted(cxr_manifest, key=lambda r: r["file"])[::step]
    readings = Predictor.load().predict_batch([cxr_dir / r["file"] for r in rows], errors="return")
    return [(r["file"], r["label"], p) for r, p in zip(rows, readings, strict=True)]


def _top(prediction) -> tuple[str, float]:
    top = max(prediction.probabilities, key=prediction.probabilities.get)
    return top, prediction.probabilities[top]


def test_a_bin_of_readings_all_right_is_reported_not_a_traceback(cxr_dir, cxr_manifest, tmp_path, capsys):
    """21 of 28 X-rays read right at 90% or more: the reliability plot's top bin is 21 of 21, whose
    Wilson interval ended at 0.9999999999999999 and made the plot crash before any report was written."""
    pool = [(f, label, p) for f, label, p in _read_pool(cxr_dir, cxr_manifest) if not p.rejected]
    sure = [(f, label) for f, label, p in pool if _top(p)[0] == label and _top(p)[1] >= 0.9][:21]
    unsure = [(f, label) for f, label, p in pool if _top(p)[1] < 0.9][:7]
    assert len(sure) == 21 and len(unsure) == 7
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in sure + unsure))
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out), "--n-boot", "20"]) == 0
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    top_bin = [b for b in report["calibration"] if b["low"] == 0.9]
    assert top_bin and top_bin[0]["right"]["n"] == 21 and top_bin[0]["right"]["ci95"][1] == 1.0
    assert (out / "reliability.png").stat().st_size > 1000 and (out / "report.md").exists()


def test_the_markdown_shows_the_same_intervals_as_the_json(cxr_dir, xray_paths, tmp_path, capsys):
    """report.md's per-class table showed 1.000 (1.000-1.000) for 10 COVID X-rays all found (a
    bootstrap percentile), report.json [0.722, 1.0] (Wilson) for the same number: one number, one
    interval, and the report says which."""
    from cxr.evaluation.markdown import format_estimate

    labels = _labels(tmp_path, cxr_dir, xray_paths)
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out), "--n-boot", "50"]) == 0
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    text = (out / "report.md").read_text()
    for name, figures in report["per_class"].items():
        row = f"| {name} | {format_estimate(figures['sensitivity'])} | {format_estimate(figures['specificity'])} |"
        assert row in text
    assert "95% intervals: Wilson score intervals, for every share counted at this site" in text
    assert report["intervals"]["site"].startswith("Wilson score intervals")
    # Every share of this site in the Markdown comes with its Wilson interval.
    for key in ("labelled_accuracy", "coverage", "top_class_accuracy", "refused_share"):
        if report[key]["n"]:
            assert f"| {format_estimate(report[key])} |" in text


def test_the_bundled_model_gets_a_verdict_and_a_next_step(cxr_dir, cxr_manifest, tmp_path, capsys):
    """30 real X-rays the bundled model reads right ended "The model card has no out-of-source
    figure for labelled readings to compare with": its card has none, but it has its accuracy on
    new patients of its training collections, which the site's most likely class is judged by."""
    pool = [(f, label) for f, label, p in _read_pool(cxr_dir, cxr_manifest) if not p.rejected and _top(p)[0] == label]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{lab}\n" for f, lab in pool[:30]))
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out), "--n-boot", "20"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    result = report["verdict"]
    assert result["code"] == "inconclusive" and result["params"]["bar"] is not None
    needed = result["params"]["cases_to_decide"]
    assert f"about {needed} read X-rays in all ({needed - 30} more) would decide it" in result["text"]
    assert "no out-of-source figure for labelled readings to compare with" not in printed
    text = (out / "report.md").read_text()
    assert f"**Verdict:** {result['text']}" in text and result["text"] in printed
    seen = report["card"]["split_accuracy"]["patient"]
    assert f"new patients of the collections it was trained on (its patient split): {seen['value']:.3f} (" in text


def test_every_case_is_written_with_what_the_model_said(cxr_dir, cxr_manifest, tmp_path, capsys):
    """The report named the unreadable files but not the refused ones (a photograph among the
    X-rays) nor the misread ones: cases.csv has every case, and report.md lists the refused ones."""
    import csv as csv_module

    from PIL import Image
    from skimage import data

    folder = tmp_path / "site"
    (folder / "xrays").mkdir(parents=True)
    pool = [(f, label, p) for f, label, p in _read_pool(cxr_dir, cxr_manifest) if not p.rejected]
    chosen = [(f, label, p) for f, label, p in pool if _top(p)[0] != label][:2] + pool[:8]
    assert len(chosen) == 10
    names, readings = {}, {}
    for i, (f, label, prediction) in enumerate(chosen):
        name = f"xrays/case {i:02d}{Path(f).suffix}"  # a space, and a folder: relative to FOLDER
        (folder / name).write_bytes((cxr_dir / f).read_bytes())
        names[name], readings[name] = label, prediction
    Image.fromarray(data.astronaut()).save(folder / "astronaut.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{n},{lab}\n" for n, lab in names.items())
                      + "astronaut.png,normal\nbroken.png,covid\n")
    out = tmp_path / "report"
    assert main(["validate-site", str(folder), "--labels", str(labels), "--out", str(out), "--n-boot", "20"]) == 0
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    with open(out / "cases.csv", newline="", encoding="utf-8") as f:
        rows = {row["file"]: row for row in csv_module.DictReader(f)}
    assert list(rows) == [*names, "astronaut.png", "broken.png"]  # every case, in the labels' order
    assert rows["astronaut.png"]["reading"] == "refused" and rows["astronaut.png"]["reason"]
    assert rows["astronaut.png"]["p_covid"] == "" and rows["astronaut.png"]["top_class"] == ""
    assert rows["broken.png"]["reading"] == "unreadable" and rows["broken.png"]["reason"] == "corrupt_image"
    for name, label in names.items():
        row = rows[name]
        assert row["true_label"] == label and row["reading"] in {"covid", "pneumonia", "normal", "uncertain"}
        chances = [float(row[f"p_{k}"]) for k in ("covid", "pneumonia", "normal")]
        assert abs(sum(chances) - 1) < 1e-3
        assert row["top_class"] == ("covid", "pneumonia", "normal")[chances.index(max(chances))]
        assert row["top_class_right"] == ("yes" if row["top_class"] == label else "no")
        assert row["label_right"] == ("" if row["reading"] == "uncertain" else "yes" if row["reading"] == label else "no")
        # The same reading as `predict` gives that X-ray: its warnings' codes and prediction set.
        assert row["warnings"] == ";".join(w.code for w in readings[name].warnings)
        assert row["prediction_set"] == ";".join(readings[name].prediction_set or [])
    misread = [n for n, row in rows.items() if row["top_class_right"] == "no"]
    assert len(misread) >= 2  # the two chosen for it
    top = report["top_class_accuracy"]
    assert len(misread) == top["n"] - round(top["value"] * top["n"])
    # report.md lists the refused file by name and points at the cases file.
    text = (out / "report.md").read_text()
    assert "## Files refused as not a chest X-ray" in text and "| astronaut.png |" in text
    assert "[cases.csv](cases.csv)" in text and f"most likely class wrong: {len(misread)} of {top['n']} read" in text
    assert report["refused_files"] == [{"file": "astronaut.png", "reason": rows["astronaut.png"]["reason"],
                                        "message": rows["astronaut.png"]["reason_text"]}]
    assert report["cases_file"] == "cases.csv"


def test_the_help_says_the_defaults_labels_and_calibration_minimum(capsys):
    from cxr.evaluation.local_calibration import MIN_SITE_CASES

    with pytest.raises(SystemExit):
        main(["validate-site", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "(default: var/site-validation)" in text
    assert "relative to FOLDER" in text and "covid, pneumonia, normal" in text and "COVID-19" in text
    assert f"needs at least {MIN_SITE_CASES} read X-rays" in text and "the exit status is 3" in text


def test_labels_may_use_the_spellings_of_data_import(cxr_dir, xray_paths, tmp_path, capsys):
    """`cxr data import` maps a folder named COVID-19 to covid; labels.csv refused the same word."""
    from cxr.data.layouts import CLASS_ALIASES

    spellings = {"covid": ["COVID-19", "Covid19"], "pneumonia": ["Viral Pneumonia", "bacterial_pneumonia"],
                 "normal": ["NORMAL", "No Finding"]}
    for label, words in spellings.items():
        assert all(CLASS_ALIASES["_".join(w.lower().replace("-", " ").split())] == label for w in words)
    rows = [(p.relative_to(cxr_dir).as_posix(), word) for label in spellings
            for p, word in zip(xray_paths[label], spellings[label], strict=False)]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{f},{word}\n" for f, word in rows))
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out), "--n-boot", "20"]) == 0
    capsys.readouterr()
    assert json.loads((out / "report.json").read_text())["by_truth"] == {"covid": 2, "pneumonia": 2, "normal": 2}
    labels.write_text(f"file,label\n{rows[0][0]},COVID-19 pneumonia\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 2: label 'COVID-19 pneumonia' is not one of" in err and "such as COVID-19" in err
