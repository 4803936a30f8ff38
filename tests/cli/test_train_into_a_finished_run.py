"""`python -m cxr train --out` into a folder holding a finished run: refused unless --replace, which
removes the old checkpoint and the evaluation written beside it. Before, training replaced best.pt
silently and left metrics.json, the predictions and the plots of the old model beside the new one."""
from __future__ import annotations

import pytest

from cxr.cli import main

pytest.importorskip("torch")

SPLIT = "path,label,source,patient_id,y,subset\na.png,covid,s,,0,train\n"
OLD_RUN = ("done.json", "best.pt", "history.csv", "config.json", "metrics.json", "metrics.md",
           "roc_test.png", "predictions_val.csv", "eval/metrics.json", "notes.txt")


def _finished_run(folder):
    for name in OLD_RUN:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("old\n")
    return folder


@pytest.fixture
def trained(monkeypatch, tmp_path):
    """train's own work stood in for: what the command does around it is under test."""
    calls = []

    def train(config, log=print):
        calls.append(config.out_dir)
        return tmp_path

    monkeypatch.setattr("cxr.cli.train.check_images", lambda args: None)
    monkeypatch.setattr("cxr.training.loop.train", train)
    split = tmp_path / "split.csv"
    split.write_text(SPLIT)
    return split, calls


def test_a_finished_run_is_refused(trained, tmp_path, capsys):
    split, calls = trained
    run = _finished_run(tmp_path / "run")
    assert main(["train", "--split-csv", str(split), "--out", str(run), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: --out {run} holds a finished run (done.json, best.pt): give another folder, or "
                   "--replace to train a new model in its place (its checkpoint and evaluation are removed)\n")
    assert calls == [] and all((run / name).read_text() == "old\n" for name in OLD_RUN)


def test_replace_removes_the_old_model_and_its_evaluation(trained, tmp_path, capsys):
    split, calls = trained
    run = _finished_run(tmp_path / "run")
    assert main(["train", "--split-csv", str(split), "--out", str(run), "--device", "cpu", "--replace"]) == 0
    assert calls == [str(run)]
    assert sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()) == [
        "eval/metrics.json", "notes.txt"]  # the user's own file, and a sub-folder named on stderr
    assert f"left alone, evaluations of the replaced model: {run / 'eval'}" in capsys.readouterr().err


def test_an_empty_or_unfinished_folder_trains_as_before(trained, tmp_path):
    split, calls = trained
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.csv").write_text("epoch\n")  # interrupted before its first best epoch
    assert main(["train", "--split-csv", str(split), "--out", str(tmp_path / "run"), "--device", "cpu"]) == 0
    assert calls == [str(tmp_path / "run")]
