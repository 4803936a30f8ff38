"""`python -m cxr predict` with a $CXR_ORT_THREADS that is not a number of threads: one `error:`
line naming the variable and what it takes, before any image is read; never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]


def test_a_wrong_thread_count_is_one_error_line(served_model_dir, xray_paths):
    env = {**os.environ, "CXR_ORT_THREADS": "abc"}
    result = subprocess.run([sys.executable, "-m", "cxr", "predict", "--json", "--model",
                             str(served_model_dir), str(xray_paths["normal"][0])],
                            cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr  # predict's status for a model it cannot load
    assert result.stdout == ""
    assert result.stderr.startswith("error: CXR_ORT_THREADS='abc' is not a number of threads: set it "
                                    "to a whole number, 1 or more"), result.stderr
    assert len(result.stderr.splitlines()) == 1
