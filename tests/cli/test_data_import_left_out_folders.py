"""`python -m cxr data import --radiography-db`: folders beside the database's class folders that
it does not index are named with the reason, not dropped in silence (a `pneumonia/` folder, where
the database's is `Viral Pneumonia/`, lost every pneumonia image without a word)."""
from __future__ import annotations

import shutil

import pytest

from cxr.cli import main

pytest.importorskip("pandas")


def test_folders_left_out_are_named_with_the_reason(tmp_path, xray_paths, capsys):
    root = tmp_path / "COVID-19_Radiography_Dataset"
    for folder, paths in (("COVID", xray_paths["covid"][:2]), ("Normal", xray_paths["normal"][:2]),
                          ("pneumonia", xray_paths["pneumonia"][:2]), ("scans-to-sort", xray_paths["normal"][2:3])):
        (root / folder).mkdir(parents=True)
        for path in paths:
            shutil.copy(path, root / folder / path.name)
    (root / ".thumbnails").mkdir()
    out = tmp_path / "index.csv"
    assert main(["data", "import", "--radiography-db", str(root), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "left out of the index: 2 folder(s) that are not class folders of the COVID-19 Radiography Database:" in err
    assert (f"  {root / 'pneumonia'}/: not a folder of the database's layout (COVID/, Normal/, Viral Pneumonia/, "
            "Lung_Opacity/); it names the class pneumonia: rename it to the database's folder, or index this "
            "layout with --folder, which reads any class folder") in err
    assert f"  {root / 'scans-to-sort'}/: not a folder of the database's layout" in err
    assert ".thumbnails" not in err
    assert "pneumonia" not in out.read_text().split("\n", 1)[1]  # still not indexed: only named
