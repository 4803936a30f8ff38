"""--help says what the command does: `data split`'s real default output, predict's exit statuses,
that it reads files (a folder is not expanded) and what it prints; `python -m cxr --version`."""
from __future__ import annotations

import importlib.metadata

import pytest

from cxr.cli import main


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_data_split_names_its_real_default(capsys):
    text = _help(["data", "split"], capsys)
    assert "<index folder>/splits/<task>_<kind>_s<seed>.csv" in text
    assert "var/data/splits/<task>" not in text  # with --index elsewhere, the split goes beside it


def test_predict_says_its_statuses_inputs_and_output(capsys):
    text = _help(["predict"], capsys)
    assert "Exit status: 0 when every file was read (refusals included), 2 when any file could not be read " \
           "(the others are still read), 1 when no model" in text
    assert "A folder is not expanded" in text and "DIR/*" in text
    assert "one JSON object per image and line" in text and "a table" in text


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"python -m cxr {importlib.metadata.version('cxr-screening')}\n"
