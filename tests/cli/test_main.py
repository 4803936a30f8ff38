"""`python -m cxr` itself: how every command ends when its reader goes away or a person presses
Ctrl-C, and how user errors are shown (one `error:` line, no traceback)."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cxr.cli import main
from cxr.cli.errors import CliError, UsageError

REPO_DIR = Path(__file__).resolve().parents[2]


def _predict_many(model_dir: Path, xray_paths: dict, n: int = 48) -> subprocess.Popen:
    """`predict --json` of n real X-rays (several chunks of output), stdout and stderr piped.
    Unbuffered, so the first line arrives as soon as it is read, while the rest are still being
    read: with a block-buffered pipe the first line could come only at the end, and a signal sent
    then found the command already finished (exit 0)."""
    import os

    files = [str(p) for paths in xray_paths.values() for p in paths]
    files = (files * (n // len(files) + 1))[:n]
    return subprocess.Popen([sys.executable, "-m", "cxr", "predict", "--json", "--model", str(model_dir), *files],
                            cwd=REPO_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            # A shell's background job (a CI runner's `make test &`) starts with
                            # SIGINT ignored, and Python then keeps ignoring it: restore the default
                            # so the command meets Ctrl-C as a person's terminal gives it.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_output_cut_short_by_its_reader_ends_quietly(served_model_dir, xray_paths):
    """`predict ... | head -1`: no BrokenPipeError traceback, the shell's status for SIGPIPE."""
    process = _predict_many(served_model_dir, xray_paths)
    assert process.stdout.readline().startswith("{")
    process.stdout.close()  # what `head -1` does after its line
    stderr = process.stderr.read()
    assert process.wait(timeout=180) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_ctrl_c_is_one_line_and_status_130(served_model_dir, xray_paths):
    process = _predict_many(served_model_dir, xray_paths, n=400)
    assert process.stdout.readline().startswith("{")
    process.send_signal(signal.SIGINT)
    process.stdout.read()
    stderr = process.stderr.read()
    assert process.wait(timeout=180) == 130, stderr
    assert stderr.strip() == "interrupted", stderr


def test_user_errors_are_one_line_and_their_status(monkeypatch, capsys):
    """The shared mechanism: a CliError is `error: ...` with its status; a UsageError also shows
    the command's usage and exits 2, as argparse does; anything else stays a traceback."""
    import cxr.cli.predict as predict

    def fails(error):
        def run(args):
            raise error
        return run

    monkeypatch.setattr(predict, "run", fails(CliError("the model folder x is damaged", code=1)))
    assert main(["predict", "a.png"]) == 1
    assert capsys.readouterr().err == "error: the model folder x is damaged\n"
    monkeypatch.setattr(predict, "run", fails(UsageError("--a needs --b")))
    assert main(["predict", "a.png"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m cxr predict") and err.endswith("python -m cxr predict: error: --a needs --b\n")
    monkeypatch.setattr(predict, "run", fails(ZeroDivisionError("a bug")))
    with pytest.raises(ZeroDivisionError):
        main(["predict", "a.png"])
