"""What a fresh web worker carries before anyone searches hospitals.

scikit-learn (with scipy and pandas) is about 115 MB of a worker; only the hospital finder and
the hospital import checks use it, so it is imported when they first run, not with the URL
configuration (docs/performance.md, "Per-worker memory").
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import django, sys
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every app's views and their imports
print(sorted(m for m in ("sklearn", "scipy", "pandas", "torch") if m in sys.modules))
from webapp.hospitals.nearest import NearestIndex
NearestIndex([1], [0.0], [0.0]).query(0.0, 0.0, 1)
print("sklearn" in sys.modules)
"""


def test_a_worker_loads_scikit_learn_only_when_hospitals_are_searched(tmp_path):
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_DIR, capture_output=True, text=True,
                         timeout=120, env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "webapp.settings",
                                           "DATA_DIR": str(tmp_path), "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    before, after = run.stdout.strip().splitlines()[-2:]
    assert before == "[]"
    assert after == "True"
