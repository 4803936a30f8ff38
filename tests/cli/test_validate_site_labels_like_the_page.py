"""`python -m cxr validate-site` reads a labels file as the web app's site check does (one reader,
cxr.inference.site_check.read_labels_csv): `file;label` from a spreadsheet set to a comma decimal
mark, a tab-separated export, column names in any case with spaces, and Windows paths. Before,
the command refused them ("needs the columns file,label (has ['file;label'])")."""
from __future__ import annotations

import json

import pytest

from cxr.cli import main


@pytest.mark.parametrize(("header", "separator", "windows"), [
    ("file;label", ";", False),
    ("File,Label", ",", False),
    (" FILE \t Label ", "\t", True),
], ids=["semicolons", "capitals", "tabs-and-windows-paths"])
def test_labels_as_a_spreadsheet_saves_them(header, separator, windows, cxr_dir, xray_paths, tmp_path, capsys):
    rows = [(p.relative_to(cxr_dir).as_posix(), label) for label in sorted(xray_paths) for p in xray_paths[label][:2]]
    labels = tmp_path / "labels.csv"
    labels.write_text(header + "\n" + "".join(
        f"{name.replace('/', chr(92)) if windows else name}{separator}{label}\n" for name, label in rows),
        encoding="utf-8")
    out = tmp_path / "report"
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(out), "--n-boot", "10"]) == 0, \
        capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["cases"] == len(rows) and report["unreadable"] == 0
    assert report["by_truth"] == {"covid": 2, "pneumonia": 2, "normal": 2}


def test_a_file_without_the_columns_names_what_it_has(cxr_dir, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("name;diagnosis\na.png;covid\n")
    assert main(["validate-site", str(cxr_dir), "--labels", str(labels), "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == (f"error: {labels} needs the columns file,label in its first line, "
                                       "separated by commas, semicolons or tabs (has: name, diagnosis)\n")
