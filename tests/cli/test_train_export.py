"""`python -m cxr train`, `export`, `sweep` and `out-of-source`: a wrong input is one `error:` line,
and nothing is written."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")

from cxr.cli import main  # noqa: E402


def test_train_with_a_missing_split_writes_no_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--split-csv", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: --split-csv {tmp_path / 'none.csv'} does not exist\n"
    assert not out.exists()  # before: config.json was written, then a traceback
    not_a_split = tmp_path / "index.csv"
    not_a_split.write_text("path,label\na.png,covid\n")
    assert main(["train", "--split-csv", str(not_a_split), "--out", str(out)]) == 2
    assert "is not a split file" in capsys.readouterr().err and not out.exists()


def test_export_of_a_file_that_is_no_checkpoint(tmp_path, capsys):
    not_a_checkpoint = tmp_path / "best.pt"
    not_a_checkpoint.write_text("these are notes, not weights\n")
    out = tmp_path / "model"
    assert main(["export", str(not_a_checkpoint), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {not_a_checkpoint} is not a checkpoint of `python -m cxr train`")
    assert len(err.splitlines()) == 1
    assert not out.exists() and not (tmp_path / "model.partial").exists()


def test_sweep_with_a_missing_split_makes_no_run_folders(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--split-csv", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: --split-csv {tmp_path / 'none.csv'} does not exist\n"
    assert not out.exists()  # before: 44 run folders, each with error.txt


def test_out_of_source_without_its_data_is_one_error_line(tmp_path, capsys):
    out = tmp_path / "oos"
    assert main(["out-of-source", "--shared", str(tmp_path), "--out", str(out)]) == 2
    assert "manifest.csv does not exist" in capsys.readouterr().err
    assert main(["out-of-source", "--index", str(tmp_path / "index.csv"), "--out", str(out)]) == 2
    assert "index.csv does not exist" in capsys.readouterr().err
    assert not out.exists()
