"""`python -m cxr validate-site`: real X-rays with known labels in, a dated report out."""
from __future__ import annotations

import json

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
    # Too few read X-rays to say what calibrating here would give, and the report says so.
    assert report["calibrated_here"] is None and "at least 40 are needed" in text


def test_bad_labels_are_refused_with_the_line(cxr_dir, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\na.png,covid\nb.png,tuberculosis\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path)]) == 2
    assert "line 3" in capsys.readouterr().err
    labels.write_text("name,diagnosis\na.png,covid\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path)]) == 2
    assert "file,label" in capsys.readouterr().err
