"""`python -m cxr validate-site FOLDER`: a FOLDER that holds none of the listed files is named as
the problem (not a verdict asking for more cases), rows pointing outside FOLDER are refused, and a
second run into the same --out leaves none of the first run's outputs beside its report."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cxr.cli import main


def _labels(tmp_path, rows):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{name},{label}\n" for name, label in rows))
    return labels


def test_a_wrong_folder_is_named_not_judged(cxr_dir, xray_paths, tmp_path, capsys):
    rows = [(p.relative_to(cxr_dir).as_posix(), label) for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    wrong = tmp_path / "not-the-xrays"
    wrong.mkdir()
    out = tmp_path / "report"
    assert main(["validate-site", str(wrong), "--labels", str(_labels(tmp_path, rows)), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Not enough cases" not in captured.out + captured.err  # before: exit 0, "collect 30 more"
    (line,) = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert f"none of the {len(rows)} files listed in {tmp_path / 'labels.csv'} could be read" in line
    assert str(wrong) in line and str(wrong / rows[0][0]) in line
    assert not (out / "report.md").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "../../x.png", "ward/../../x.png", "C:\\xrays\\x.png"])
def test_a_row_outside_the_folder_is_refused(name, cxr_dir, xray_paths, tmp_path, capsys):
    first = xray_paths["covid"][0].relative_to(cxr_dir).as_posix()
    labels = _labels(tmp_path, [(first, "covid"), (name, "normal")])
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    shown = name.replace("\\", "/")  # a Windows path as read: C:/xrays/x.png
    assert f"line 3: {shown} is not inside the X-ray folder" in err, err
    assert not (tmp_path / "r" / "report.md").exists()


def test_a_second_run_leaves_no_stale_plot(cxr_dir, xray_paths, tmp_path, capsys):
    out = tmp_path / "report"
    rows = [(xray_paths["covid"][0].relative_to(cxr_dir).as_posix(), "covid")]
    assert main(["validate-site", str(cxr_dir), "--labels", str(_labels(tmp_path, rows)), "--out", str(out),
                 "--n-boot", "10"]) == 0
    assert (out / "reliability.png").exists()
    # Only a blank picture: refused as not a chest X-ray, nothing read, nothing to plot.
    blank = tmp_path / "scans"
    blank.mkdir()
    Image.fromarray(np.full((256, 256), 128, np.uint8)).save(blank / "blank.png")
    assert main(["validate-site", str(blank), "--labels", str(_labels(tmp_path, [("blank.png", "normal")])),
                 "--out", str(out), "--n-boot", "10"]) == 0
    report = (out / "report.md").read_text()
    assert "reliability.png" not in report
    assert not (out / "reliability.png").exists()  # before: the first run's plot stayed beside it
