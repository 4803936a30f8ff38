"""webapp/gunicorn.conf.py run inside a test process, for tests of its logger and hooks."""
from __future__ import annotations

import os
import runpy
from pathlib import Path
from unittest import mock

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def load_gunicorn_conf() -> dict:
    """The file's names (logger_class, post_worker_init, ...), with the environment put back
    afterwards: the file sets CXR_ORT_THREADS=1 for gunicorn's workers, and left behind in a test
    process it changed the thread count of every later Predictor.load, whose heat maps then
    differed by a level from the web app's (test_display_images failed after it under -n 2)."""
    with mock.patch.dict(os.environ):
        return runpy.run_path(str(GUNICORN_CONF))
