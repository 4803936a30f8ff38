"""Small things a newcomer meets at the command line: list options say what is wrong with a value
(not argparse's internal `invalid _floats value`), every option has help (`data cache --split` had
none), `predict FOLDER` says how to read the folder's X-rays, and `--help` writes every default the
same way."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cxr.cli import COMMANDS, build_parser, main

REPO_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--lrs", "abc", "argument --lrs: 'abc' is not a number; give a comma-separated list such as 1e-4,1e-6"),
    ("--lrs", "1e-4,-1", "argument --lrs: -1 is not allowed: above 0"),
    ("--lrs", ",", "argument --lrs: ',' names no value"),
    ("--batch-sizes", "16,1.5", "argument --batch-sizes: '1.5' is not a whole number; give a "
                                "comma-separated list such as 16,32"),
    ("--batch-sizes", "0", "argument --batch-sizes: 0 is not allowed: at least 1"),
])
def test_sweep_lists_name_the_wrong_value(option, value, message, tmp_path, capsys):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--split-csv", str(tmp_path / "split.csv"), "--out", str(out), f"{option}={value}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "_floats" not in err and "_ints" not in err, err
    assert not out.exists()  # a negative learning rate used to start the whole grid


def _parsers():
    """(name, parser) of every command and action but validate-site (kept by its own module)."""
    top = build_parser()
    commands = next(a for a in top._subparsers._group_actions).choices
    for name in COMMANDS:
        if name == "validate-site":
            continue
        parser = commands[name]
        actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if actions:
            yield from ((f"{name} {sub}", p) for sub, p in actions[0].choices.items())
        else:
            yield name, parser


def test_every_option_says_what_it_is():
    """Help text, or at least a default the help shows (`data cache --split` had neither)."""
    undocumented = [(name, a.option_strings) for name, parser in _parsers() for a in parser._actions
                    if a.option_strings and not a.help and (a.default is None or a.default is False)]
    assert undocumented == []


def test_help_writes_every_default_the_same_way():
    odd = {}
    for name, parser in _parsers():
        text = " ".join(parser.format_help().split())
        found = re.findall(r"\(default(?!:)[^)]*\)|; default [^)]*\)", text)
        if found:
            odd[name] = found
    assert odd == {}  # "(default: X)", as the formatter adds it


def test_predict_of_a_folder_says_to_name_its_files(served_model_dir, tmp_path):
    folder = tmp_path / "xrays"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-m", "cxr", "predict", "--model", str(served_model_dir),
                             str(folder)], cwd=REPO_DIR, capture_output=True, text=True, timeout=180)
    assert result.returncode == 2, result.stderr
    assert f"To read the X-rays in a folder, name its files: {folder}/*" in result.stdout
