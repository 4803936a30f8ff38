"""The command line says its errors in its own words: an image it cannot use asks for the right
file ("use ..."), not for an upload (the web app's wording, which stays the engine's); a --model
folder without a model names --model; a count of one is singular ("1 X-ray read")."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cxr.cli import main
from cxr.cli.wording import COMMAND_LINE_ENGLISH, cli_text
from cxr.inference.notices import ENGLISH, Notice
from cxr.inference.site_check import SiteCase, refusal_check, site_report, verdict

REPO_DIR = Path(__file__).resolve().parents[2]


def test_no_sentence_of_the_command_line_asks_for_an_upload():
    # The card's sentences (card_*) are the model card's, written by export and shown by the app.
    asking = [code for code, text in ENGLISH.items()
              if not code.startswith("card_") and "upload " in COMMAND_LINE_ENGLISH.get(code, text).lower()]
    assert asking == []
    notice = Notice("not_cxr_verifier")
    assert cli_text(notice).endswith("heavily processed picture. Use the original X-ray file.")
    assert str(notice).endswith("Please upload the original X-ray file.")  # the web app's, unchanged


def test_predict_of_a_file_that_is_no_image_says_what_to_use(served_model_dir, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("these are notes, not an X-ray\n")
    result = subprocess.run([sys.executable, "-m", "cxr", "predict", "--json", "--model", str(served_model_dir),
                             str(notes)], cwd=REPO_DIR, capture_output=True, text=True, timeout=180)
    assert result.returncode == 2, result.stderr
    row = json.loads(result.stdout.splitlines()[0])
    assert row["error"] == "unsupported_format"
    assert row["reason"].startswith("This file is not a recognised image; use ") and "upload" not in row["reason"]


def test_a_model_folder_without_a_model_names_the_option(tmp_path, capsys):
    assert main(["predict", "--model", str(tmp_path / "nope"), "x.png"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("instead, with --model or CXR_MODEL_DIR.\n") and "model folder option" not in err


def test_a_count_of_one_is_singular():
    classes = ["covid", "pneumonia", "normal"]
    one = SiteCase("covid", None, False, {"covid": 0.5, "pneumonia": 0.3, "normal": 0.2}, None)
    split = {"patient": {"value": 0.9, "ci95": [0.85, 0.95], "n": 100}}
    text = verdict({"n": 0, "value": None, "ci95": [None, None]}, None, None,
                   {"n": 1, "value": 1.0, "ci95": [0.2, 1.0]}, split)["text"]
    assert text.startswith("Not enough cases to judge: 1 X-ray read;")
    labelled = verdict({"n": 1, "value": 1.0, "ci95": [0.2, 1.0]}, 0.9, 0.9)["text"]
    assert labelled.startswith("Not enough cases to judge: 1 labelled reading;")
    assert "29 more labelled readings" in labelled
    assert "of 1 X-ray as not" in refusal_check({"n": 1, "value": 1.0, "ci95": [0.2, 1.0]})["text"]
    assert site_report([one], classes, None)["read"] == 1
