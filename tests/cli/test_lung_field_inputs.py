"""`python -m cxr lung-field`: wrong options and inputs end as every command's do (one
`error: ...` line on stderr, status 2, no traceback), before anything is trained or written.

No training and no torch: every input is checked before the segmenter's modules load."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxr.cli import main
from cxr.inference.card import BUNDLED_MODEL_DIR

REPO_DIR = Path(__file__).resolve().parents[2]


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return err.strip().splitlines()[-1]


def test_oos_only_without_oos_is_a_usage_error(cxr_dir, capsys):
    assert main(["lung-field", "--shared", str(cxr_dir), "--oos-only"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m cxr lung-field")
    assert err.endswith("python -m cxr lung-field: error: --oos-only needs --oos\n")


def test_a_folder_without_lung_masks_is_an_error_line(tmp_path, capsys):
    (tmp_path / "manifest.csv").write_text("file,label\n")
    assert main(["lung-field", "--shared", str(tmp_path)]) == 2
    assert _error_line(capsys) == (f"error: no lung masks under {tmp_path} (lung_masks/index.csv): "
                                   "nothing to train on")


def test_a_missing_shared_folder_is_named(tmp_path, capsys):
    assert main(["lung-field", "--shared", str(tmp_path / "nowhere")]) == 2
    assert _error_line(capsys) == f"error: --shared {tmp_path / 'nowhere'} does not exist"


@pytest.mark.parametrize("kind", ["missing", "empty", "not a protocol", "no fold model"])
def test_a_wrong_oos_folder_is_an_error_line_not_a_traceback(kind, cxr_dir, tmp_path, capsys):
    """It used to end in FileNotFoundError's traceback (status 1) once the measuring began."""
    oos = tmp_path / "oos"
    if kind != "missing":
        oos.mkdir()
    if kind == "not a protocol":
        (oos / "protocol.json").write_text("[1, 2]")
    if kind == "no fold model":
        (oos / "protocol.json").write_text(json.dumps({"groups": {"a": ["x"]},
                                                       "recipe": {"img_size": 32, "arch": "X"}}))
        (oos / "a").mkdir()
        (oos / "a" / "split.csv").write_text("path,subset\n")
    assert main(["lung-field", "--shared", str(cxr_dir), "--oos", str(oos), "--oos-only",
                 "--model-dir", str(BUNDLED_MODEL_DIR)]) == 2
    line = _error_line(capsys)
    assert line.startswith("error: "), line
    assert {"missing": f"--oos {oos} does not exist",
            "empty": f"{oos / 'protocol.json'} does not exist",
            "not a protocol": f"{oos / 'protocol.json'} is not an out-of-source protocol",
            "no fold model": f"{oos / 'a' / 'run' / 'best.pt'} does not exist"}[kind] in line


def test_oos_only_without_a_shipped_segmenter_is_an_error_line(tmp_path, cxr_dir, capsys):
    oos = tmp_path / "oos"
    oos.mkdir()
    (oos / "protocol.json").write_text(json.dumps({"groups": [], "recipe": {"img_size": 32, "arch": "X"}}))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    assert main(["lung-field", "--shared", str(cxr_dir), "--oos", str(oos), "--oos-only",
                 "--model-dir", str(model_dir)]) == 2
    assert _error_line(capsys) == (f"error: no lung_field.onnx in {model_dir}: "
                                   "run without --oos-only to train one")


def test_a_model_dir_without_a_card_is_refused_before_training(cxr_dir, tmp_path, capsys):
    """Found before the segmenter is trained, not after (installing it needs the card)."""
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    # One tiny epoch: the old code trained before it looked, and this keeps that short.
    assert main(["lung-field", "--shared", str(cxr_dir), "--model-dir", str(model_dir),
                 "--epochs", "1", "--base", "2"]) == 2
    assert _error_line(capsys).startswith(f"error: --model-dir {model_dir} has no model card")
    assert list(model_dir.iterdir()) == []


def test_a_report_that_is_a_folder_is_refused_before_training(cxr_dir, tmp_path, capsys):
    assert main(["lung-field", "--shared", str(cxr_dir), "--report", str(tmp_path),
                 "--epochs", "1", "--base", "2", "--model-dir", str(tmp_path / "nowhere")]) == 2
    assert _error_line(capsys) == f"error: --report {tmp_path} is a folder; give a file name"


@pytest.mark.parametrize("option", [["--epochs", "0"], ["--base", "-1"], ["--epochs", "x"]])
def test_out_of_range_options_are_usage_errors(option, cxr_dir, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lung-field", "--shared", str(cxr_dir), *option])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option[0]}: " in err and "Traceback" not in err


def test_the_command_line_prints_one_error_line_and_exits_2(tmp_path):
    """As a person runs it: `python -m cxr lung-field ...` in a shell."""
    result = subprocess.run(
        [sys.executable, "-m", "cxr", "lung-field", "--shared", str(tmp_path), "--oos", str(tmp_path / "nowhere"),
         "--oos-only"], cwd=REPO_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: --oos {tmp_path / 'nowhere'} does not exist\n"
    assert result.stdout == ""
